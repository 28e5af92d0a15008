// The real tinyae binary against hostile command lines and files: every case
// in the table below must end with a non-zero exit status (not a signal, not
// a timeout), say something on stderr that names the culprit (the flag, the
// file), never fall through to "internal error" (an exception that is not a
// tinyae::Error: its message was not written for a user), and leave every
// file and folder as it was: nothing created, nothing removed, no temporary
// or half-written file, in the case's own folder or in the shared fixture.
//
// Cost: each case is one process start (about 0.6 s, mostly loading
// LibTorch), so the cases run as separate CTest tests (parallel with -j).
// OPENBLAS_CORETYPE is set so that train/eval skip their one-time re-exec for
// the BLAS kernel (src/common/blas.cpp): it would double every start and is
// irrelevant to refusing bad input.
//
// The shared fixture (one small model trained by `tinyae train`, its export,
// and the hostile data folders and checkpoints) is built once, by whichever
// test process comes first, in the build folder; a stamp with the tinyae
// binary's size and time makes later processes reuse it and a rebuilt binary
// rebuild it. A lock serialises the building when CTest runs tests in
// parallel.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "snapshot.h"
#include "tinyae/process.h"

namespace fs = std::filesystem;
using tinyae::ProcessResult;
using tinyae::test::read_text;
using tinyae::test::snapshot;
using tinyae::test::snapshot_diff;

namespace {

const fs::path kMnist = fs::path(TINYAE_SOURCE_DIR) / "data" / "mnist";
const fs::path kInputs = fs::path(TINYAE_SOURCE_DIR) / "tests" / "hostile" / "inputs";
const fs::path kFixtureRoot = fs::path(TINYAE_BINARY_DIR) / "tests" / "hostile" / "cli-fixture";
const fs::path kFixture = kFixtureRoot / "shared";
constexpr int kFixtureVersion = 3;  // bump when the fixture's contents change
constexpr double kCaseTimeoutSeconds = 60;
const std::vector<std::string> kEnv = {"OPENBLAS_CORETYPE=Prescott", "TINYAE_TEST=1"};

// The real binary with `args`, in `cwd`, with kEnv; output captured in memory.
ProcessResult run_tinyae(const std::vector<std::string>& args, const fs::path& cwd, double timeout_seconds) {
  tinyae::ProcessOptions options;
  options.cwd = cwd;
  options.env = kEnv;
  options.timeout_seconds = timeout_seconds;
  std::vector<std::string> argv = {TINYAE_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  return tinyae::run_process(argv, options);
}

// ------------------------------------------------------------------ files

void write_bytes(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string gzip(const std::string& bytes) {
  std::string out(compressBound(static_cast<uLong>(bytes.size())) + 64, '\0');
  z_stream z{};
  deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: gzip wrapper
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string gunzip(const fs::path& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) throw std::runtime_error("cannot open " + path.string());
  std::string bytes;
  char chunk[1 << 16];
  int n = 0;
  while ((n = gzread(gz, chunk, sizeof chunk)) > 0) bytes.append(chunk, static_cast<std::size_t>(n));
  gzclose(gz);
  return bytes;
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

const char* const kMnistFiles[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                   "t10k-labels-idx1-ubyte"};

// F/data/<name>/: the four MNIST files as links to the real ones, except
// `replace`, which `make` writes instead (under its own name, which may end
// in .gz).
void hostile_data_dir(const std::string& name, const std::string& replace,
                      const std::function<void(const fs::path& dir)>& make) {
  const fs::path dir = kFixture / "data" / name;
  fs::create_directories(dir);
  for (const char* file : kMnistFiles) {
    if (file != replace) fs::create_symlink(fs::absolute(kMnist / file), dir / file);
  }
  if (make) make(dir);
}

std::string stamp_text() {
  const fs::path exe = TINYAE_EXE;
  struct stat st {};
  ::stat(exe.c_str(), &st);
  return "fixture " + std::to_string(kFixtureVersion) + " exe " + exe.string() + " size " + std::to_string(st.st_size) +
         " mtime " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
}

void run_or_throw(const std::vector<std::string>& args, const std::string& what) {
  const ProcessResult r = run_tinyae(args, kFixtureRoot, 300);
  if (!r.exited || r.exit_code != 0) {
    throw std::runtime_error("fixture: " + what + " failed (" + r.describe() + "):\n" + r.err);
  }
}

void build_fixture() {
  fs::remove_all(kFixture);
  fs::create_directories(kFixture);
  const fs::path F = kFixture;

  // A small trained model and its export (for eval, export and deploy).
  run_or_throw(
      {"train", "--data", kMnist.string(), "--out", (F / "run").string(), "--train-limit", "500", "--test-limit", "100",
       "--epochs", "1", "--batch-size", "100", "--threads", "1", "--no-figures", "--quiet"},
      "tinyae train");
  run_or_throw({"export", "--model", (F / "run" / "model.safetensors").string(), "--out", (F / "headers").string(),
                "--data", kMnist.string(), "--golden", "1", "--package", "none"},
               "tinyae export");
  write_bytes(F / "a_file", "a regular file where a folder is expected\n");

  // Hostile MNIST folders.
  const std::string png = std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x1c\0\0\0\x1c\x08\0\0\0\0", 29);
  fs::create_directories(F / "data" / "empty");
  hostile_data_dir("good", "", nullptr);
  hostile_data_dir("idx_zero_bytes", "train-images-idx3-ubyte",
                   [](const fs::path& d) { write_bytes(d / "train-images-idx3-ubyte", ""); });
  hostile_data_dir("idx_billions", "train-images-idx3-ubyte", [](const fs::path& d) {
    write_bytes(d / "train-images-idx3-ubyte", be32(0x803) + be32(4000000000u) + be32(28) + be32(28) + "pixels");
  });
  hostile_data_dir("idx_png", "train-images-idx3-ubyte",
                   [&](const fs::path& d) { write_bytes(d / "train-images-idx3-ubyte", png); });
  hostile_data_dir("idx_directory", "train-images-idx3-ubyte",
                   [](const fs::path& d) { fs::create_directories(d / "train-images-idx3-ubyte"); });
  hostile_data_dir("idx_truncated_gzip", "t10k-images-idx3-ubyte", [](const fs::path& d) {
    const std::string gz = gzip(read_text(kMnist / "t10k-images-idx3-ubyte"));
    write_bytes(d / "t10k-images-idx3-ubyte.gz", gz.substr(0, gz.size() / 2));
  });
  // A file still being written by another process, at its most extreme: a
  // named pipe nobody writes to (opening it for reading would block forever).
  hostile_data_dir("idx_fifo", "train-images-idx3-ubyte", [](const fs::path& d) {
    if (::mkfifo((d / "train-images-idx3-ubyte").c_str(), 0644) != 0) throw std::runtime_error("mkfifo failed");
  });
  hostile_data_dir("idx_count_mismatch", "t10k-labels-idx1-ubyte", [](const fs::path& d) {
    write_bytes(d / "t10k-labels-idx1-ubyte", be32(0x801) + be32(5) + std::string(5, '\1'));
  });
  hostile_data_dir("idx_label_not_a_digit", "t10k-labels-idx1-ubyte", [](const fs::path& d) {
    std::string labels = read_text(kMnist / "t10k-labels-idx1-ubyte");
    labels[8 + 1234] = static_cast<char>(200);
    write_bytes(d / "t10k-labels-idx1-ubyte", labels);
  });

  // Hostile checkpoints.
  const std::string model = read_text(F / "run" / "model.safetensors");
  write_bytes(F / "ckpt" / "truncated.safetensors", model.substr(0, model.size() / 2));
  write_bytes(F / "ckpt" / "empty.safetensors", "");
  std::string flipped = model;
  flipped[flipped.size() - 100] = static_cast<char>(flipped[flipped.size() - 100] ^ 0x10);  // in the tensor bytes
  write_bytes(F / "ckpt" / "flipped.safetensors", flipped);
  fs::copy_file(kInputs / "torch_save_module.pt", F / "ckpt" / "torch_save.pt");
  fs::copy_file(kInputs / "earlier_format_checkpoint.pt", F / "ckpt" / "earlier_format.pt");
  // A valid checkpoint of a model that takes 4 inputs, not MNIST's 784
  // (made by tests/hostile/make_checkpoint_inputs.py).
  fs::copy_file(kInputs / "model_with_4_inputs.checkpoint", F / "ckpt" / "four_inputs.safetensors");
  write_bytes(F / "ckpt" / "png.safetensors", png);
  write_bytes(F / "ckpt" / "deep_json.safetensors", gunzip(kInputs / "checkpoint_deep_model.safetensors.gz"));
  fs::create_directories(F / "ckpt" / "directory.safetensors");
  if (::mkfifo((F / "ckpt" / "fifo.safetensors").c_str(), 0644) != 0) throw std::runtime_error("mkfifo failed");
  fs::create_symlink("/dev/zero", F / "ckpt" / "dev_zero.safetensors");

  // Hostile export folders for deploy: copies of the good one with the
  // manifest damaged.
  const auto headers_with_manifest = [&](const std::string& name, const std::string& manifest) {
    fs::copy(F / "headers", F / name, fs::copy_options::recursive);
    write_bytes(F / name / "manifest.json", manifest);
  };
  fs::create_directories(F / "headers_empty");
  headers_with_manifest("headers_garbage_manifest", "{\"header_format_version\": 2, \"models\": [");
  headers_with_manifest("headers_deep_manifest", std::string(200000, '[') + std::string(200000, ']'));
  const std::string good_manifest = read_text(F / "headers" / "manifest.json");
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = good_manifest;
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error("fixture: manifest has no " + from);
    return text.replace(at, from.size(), to);
  };
  headers_with_manifest("headers_manifest_wrong_types",
                        replaced("\"header_format_version\": 2", "\"header_format_version\": \"one\""));
  headers_with_manifest("headers_manifest_escaping_header",
                        replaced("\"model_encoder.h\"", "\"../../../../../../etc/passwd\""));
  headers_with_manifest("headers_manifest_code_in_prefix", replaced("\"encoder\"", "\"encoder; int evil\""));
  fs::remove_all(F / "headers_missing_runtime");
  fs::copy(F / "headers", F / "headers_missing_runtime", fs::copy_options::recursive);
  fs::remove(F / "headers_missing_runtime" / "tinyae.h");
}

// Builds the fixture unless a current one exists; safe across processes.
void ensure_fixture() {
  static bool done = false;
  if (done) return;
  fs::create_directories(kFixtureRoot);
  const fs::path lock_path = kFixtureRoot / "lock";
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(lock, 0);
  ::flock(lock, LOCK_EX);
  const fs::path stamp = kFixtureRoot / "stamp";
  if (!fs::exists(stamp) || read_text(stamp) != stamp_text()) {
    fs::remove(stamp);
    try {
      build_fixture();
      write_bytes(stamp, stamp_text());
    } catch (const std::exception& e) {
      ::flock(lock, LOCK_UN);
      ::close(lock);
      FAIL() << e.what();
    }
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  done = true;
}

// ------------------------------------------------------------------ cases

struct Case {
  std::string name;               // test name: letters, digits, '_'
  std::vector<std::string> args;  // {M} = real MNIST, {F} = shared fixture, {C} = this case's folder
  std::string needle;             // stderr must contain this (after the same substitutions)
  std::function<void(const fs::path& case_dir)> setup = nullptr;  // runs before the snapshot
};

std::string substitute(std::string text, const fs::path& case_dir) {
  const std::map<std::string, std::string> vars = {
      {"{M}", kMnist.string()}, {"{F}", kFixture.string()}, {"{C}", case_dir.string()}};
  for (const auto& [key, value] : vars) {
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
      text.replace(at, key.size(), value);
    }
  }
  return text;
}

// Flags that keep a train run tiny if a case is accepted by mistake.
const std::vector<std::pair<std::string, std::string>> kTrainSafe = {
    {"--epochs", "1"}, {"--train-limit", "64"}, {"--test-limit", "64"}, {"--batch-size", "64"}};

std::vector<std::string> train_args(const std::string& data, const std::string& out,
                                    const std::vector<std::string>& extra, const std::string& without = "") {
  std::vector<std::string> args = {"train", "--data", data, "--out", out, "--no-figures"};
  for (const auto& [flag, value] : kTrainSafe) {
    if (flag != without) args.insert(args.end(), {flag, value});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string identifier(std::string text) {
  for (char& c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return text;
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  const std::string run = "{C}/run";

  // Command lines.
  cases.push_back({"no_arguments", {}, "usage"});
  cases.push_back({"unknown_command", {"frobnicate"}, "frobnicate"});
  cases.push_back({"train_unknown_option", train_args("{M}", run, {"--bogus", "1"}), "bogus"});
  cases.push_back({"train_stray_argument", train_args("{M}", run, {"stray"}), "stray"});
  cases.push_back({"train_missing_out", {"train", "--data", "{M}"}, "--out"});
  cases.push_back({"train_empty_data", {"train", "--data", "", "--out", "{C}/run"}, "--data"});
  cases.push_back({"deploy_empty_headers", {"deploy", "--headers", ""}, "--headers"});
  cases.push_back(
      {"eval_unknown_option", {"eval", "--model", "{F}/run/model.safetensors", "--data", "{M}", "--bogus"}, "bogus"});
  cases.push_back(
      {"eval_stray_argument", {"eval", "--model", "{F}/run/model.safetensors", "--data", "{M}", "stray"}, "stray"});
  cases.push_back({"eval_missing_model", {"eval", "--data", "{M}"}, "--model"});
  cases.push_back({"export_unknown_option",
                   {"export", "--model", "{F}/run/model.safetensors", "--out", "{C}/out", "--bogus"},
                   "bogus"});
  cases.push_back({"export_stray_argument",
                   {"export", "--model", "{F}/run/model.safetensors", "--out", "{C}/out", "stray"},
                   "stray"});
  cases.push_back({"export_missing_out", {"export", "--model", "{F}/run/model.safetensors"}, "--out"});
  cases.push_back({"deploy_unknown_option", {"deploy", "--headers", "{F}/headers", "--bogus"}, "bogus"});
  cases.push_back({"deploy_stray_argument", {"deploy", "--headers", "{F}/headers", "stray"}, "stray"});
  cases.push_back({"deploy_missing_headers", {"deploy"}, "--headers"});
  cases.push_back({"deploy_unknown_board", {"deploy", "--headers", "{F}/headers", "--board", "pdp11"}, "pdp11"});
  // The Cortex-M7 has no cycle model: refused before building, not a made-up figure.
  cases.push_back({"deploy_cycles_without_a_model",
                   {"deploy", "--headers", "{F}/headers", "--board", "mps2-an500", "--cycles"},
                   "has no cycle model"});
  cases.push_back(
      {"export_unknown_format",
       {"export", "--model", "{F}/run/model.safetensors", "--out", "{C}/out", "--data", "{M}", "--format", "int4"},
       "int4"});
  cases.push_back({"export_bad_name_prefix",
                   {"export", "--model", "{F}/run/model.safetensors", "--out", "{C}/out", "--data", "{M}",
                    "--name-prefix", "9lives; int x"},
                   "9lives"});
  // A repeated option is refused rather than silently taking the last value.
  cases.push_back({"train_repeated_option", train_args("{M}", run, {"--epochs", "2"}), "--epochs"});
  cases.push_back({"export_repeated_option",
                   {"export", "--model", "{F}/run/model.safetensors", "--out", "{C}/out", "--out", "{C}/out2"},
                   "--out"});
  cases.push_back(
      {"deploy_repeated_option", {"deploy", "--headers", "{F}/headers", "--headers", "{F}/headers"}, "--headers"});
  // A learning rate this large overflows the weights in the first epoch: the
  // run stops with an error and, no epoch having finished, leaves no folder.
  cases.push_back({"train_diverges", train_args("{M}", run, {"--lr", "1e30"}), "diverged"});
  // Models too large: one by its parameter count (784x65535 weights twice),
  // one by its training memory (16 layers of 65535 between layers of 1:
  // 10 million parameters but, on batches of 60000 images, about 1.8 TiB of
  // activations); both refused before the model is allocated.
  cases.push_back({"train_model_too_many_parameters", train_args("{M}", run, {"--hidden", "65535"}), "parameters"});
  std::string wide_and_narrow = "1";
  for (int i = 0; i < 16; ++i) wide_and_narrow += ",65535,1";
  cases.push_back({"train_model_too_large_for_memory",
                   {"train", "--data", "{M}", "--out", run, "--no-figures", "--epochs", "1", "--test-limit", "64",
                    "--hidden", wide_and_narrow, "--batch-size", "60000"},
                   "--batch-size"});
  cases.push_back({"train_bad_activation", train_args("{M}", run, {"--activation", "softmax"}), "softmax"});

  // Numeric options, one bad value per case. Every option gets a value below
  // its range (each has its own bounds); values beyond any integer type,
  // non-numbers, NaN, infinity and "" are spread over the options so that
  // every parser the commands use (train's integer parser for int, int64 and
  // uint64, its learning-rate and layer-list parsers, eval's, and cxxopts'
  // typed values in export and deploy) meets each kind. Every case is a
  // process start (~0.6 s), so the table is not the full cross product.
  struct Numeric {
    std::string command, flag, label, value;
  };
  const std::vector<Numeric> numerics = {
      {"train", "--epochs", "zero", "0"},
      {"train", "--epochs", "negative", "-1"},
      {"train", "--epochs", "huge", "99999999999999999999"},
      {"train", "--epochs", "abc", "abc"},
      {"train", "--epochs", "nan", "nan"},
      {"train", "--epochs", "empty", ""},
      {"train", "--epochs", "fraction", "1.5"},
      {"train", "--batch-size", "zero", "0"},
      {"train", "--batch-size", "huge", "60001"},
      {"train", "--latent", "zero", "0"},
      {"train", "--latent", "too_large", "65536"},
      {"train", "--hidden", "zero", "0"},
      {"train", "--hidden", "abc", "abc"},
      {"train", "--hidden", "malformed_list", "128,,64"},
      {"train", "--hidden", "too_large", "65536"},
      {"train", "--lr", "zero", "0"},
      {"train", "--lr", "negative", "-0.1"},
      {"train", "--lr", "huge", "1e999"},
      {"train", "--lr", "nan", "nan"},
      {"train", "--lr", "inf", "inf"},
      {"train", "--lr", "abc", "abc"},
      {"train", "--seed", "negative", "-1"},
      {"train", "--seed", "huge", "18446744073709551616"},
      {"train", "--threads", "negative", "-1"},
      {"train", "--threads", "huge", "99999999999"},
      {"train", "--train-limit", "negative", "-1"},
      {"train", "--train-limit", "huge", "99999999999999999999"},
      {"train", "--test-limit", "negative", "-1"},
      {"train", "--test-limit", "abc", "abc"},
      {"eval", "--batch-size", "zero", "0"},
      {"eval", "--batch-size", "nan", "nan"},
      {"eval", "--threads", "negative", "-1"},
      {"eval", "--train-limit", "huge", "99999999999999999999"},
      {"eval", "--test-limit", "abc", "abc"},
      {"export", "--golden", "negative", "-1"},
      {"export", "--golden", "huge", "99999999999999999999"},
      {"export", "--golden", "abc", "abc"},
      {"export", "--golden", "nan", "nan"},
      {"export", "--golden", "empty", ""},
      {"export", "--calibration", "zero", "0"},
      {"export", "--calibration", "too_large", "60001"},
      {"deploy", "--tolerance", "negative", "-1"},
      {"deploy", "--tolerance", "nan", "nan"},
      {"deploy", "--tolerance", "inf", "inf"},
      {"deploy", "--tolerance", "abc", "abc"},
      {"deploy", "--timeout", "zero", "0"},
      {"deploy", "--timeout", "nan", "nan"},
      {"deploy", "--timeout", "empty", ""},
      // Finite but huge: above the week the CLI allows.
      {"deploy", "--timeout", "1e300", "1e300"},
  };
  for (const Numeric& n : numerics) {
    std::vector<std::string> args;
    if (n.command == "train") {
      args = train_args("{M}", run, {n.flag, n.value}, n.flag);
    } else if (n.command == "eval") {
      args = {"eval", "--model", "{F}/run/model.safetensors", "--data", "{M}"};
      for (const char* limit : {"--train-limit", "--test-limit"}) {
        if (n.flag != limit) args.insert(args.end(), {limit, "64"});
      }
      args.insert(args.end(), {n.flag, n.value});
    } else if (n.command == "export") {
      args = {"export", "--model", "{F}/run/model.safetensors", "--out", "{C}/out", "--data", "{M}", n.flag, n.value};
    } else {
      args = {"deploy", "--headers", "{F}/headers", "--keep-build", "{C}/build", n.flag, n.value};
    }
    cases.push_back({n.command + "_" + identifier(n.flag.substr(2)) + "_" + n.label, args, n.flag});
  }

  // Hostile data folders, for every command that reads MNIST.
  const std::vector<std::pair<std::string, std::string>> data_cases = {
      {"missing_folder", "{F}/data/does_not_exist"},
      {"folder_is_a_file", "{F}/a_file"},
      {"empty_folder", "{F}/data/empty"},
      {"idx_zero_bytes", "{F}/data/idx_zero_bytes"},
      {"idx_billions", "{F}/data/idx_billions"},
      {"idx_png", "{F}/data/idx_png"},
      {"idx_directory", "{F}/data/idx_directory"},
      {"idx_truncated_gzip", "{F}/data/idx_truncated_gzip"},
      {"idx_fifo", "{F}/data/idx_fifo"},
      {"idx_count_mismatch", "{F}/data/idx_count_mismatch"},
      {"idx_label_not_a_digit", "{F}/data/idx_label_not_a_digit"},
  };
  const std::map<std::string, std::string> data_needles = {
      {"missing_folder", "does_not_exist"},
      {"folder_is_a_file", "a_file"},
      {"empty_folder", "train-images-idx3-ubyte"},
      {"idx_zero_bytes", "train-images-idx3-ubyte"},
      {"idx_billions", "train-images-idx3-ubyte"},
      {"idx_png", "train-images-idx3-ubyte"},
      {"idx_directory", "train-images-idx3-ubyte"},
      {"idx_truncated_gzip", "t10k-images-idx3-ubyte.gz"},
      {"idx_fifo", "train-images-idx3-ubyte"},
      {"idx_count_mismatch", "t10k-labels-idx1-ubyte"},
      {"idx_label_not_a_digit", "t10k-labels-idx1-ubyte"},
  };
  for (const auto& [label, dir] : data_cases) {
    const std::string needle = data_needles.at(label);
    cases.push_back({"train_data_" + label, train_args(dir, run, {}), needle});
    // eval reads MNIST with the same loader: three cases show it reports it.
    if (label == "missing_folder" || label == "idx_zero_bytes" || label == "idx_truncated_gzip") {
      cases.push_back({"eval_data_" + label, {"eval", "--model", "{F}/run/model.safetensors", "--data", dir}, needle});
    }
  }
  // export reads only the test images (golden vectors).
  cases.push_back(
      {"export_data_idx_truncated_gzip",
       {"export", "--model", "{F}/run/model.safetensors", "--out", "{C}/out", "--data", "{F}/data/idx_truncated_gzip"},
       "t10k-images-idx3-ubyte.gz"});
  cases.push_back(
      {"export_data_missing_folder",
       {"export", "--model", "{F}/run/model.safetensors", "--out", "{C}/out", "--data", "{F}/data/does_not_exist"},
       "does_not_exist"});

  // Hostile checkpoints, for eval, export and train --resume.
  for (const std::string label : {"truncated", "empty", "flipped", "torch_save", "earlier_format", "png", "deep_json",
                                  "directory", "fifo", "dev_zero", "missing"}) {
    // Files from torch.save and from tinyae's earlier format are called *.pt.
    const bool pt = label == "torch_save" || label == "earlier_format";
    const std::string file = label + (pt ? ".pt" : ".safetensors");
    const std::string path = "{F}/ckpt/" + file;
    cases.push_back({"eval_checkpoint_" + label, {"eval", "--model", path, "--data", "{M}"}, file});
    // export and train --resume load checkpoints with the same loader as eval.
    if (label == "truncated" || pt) {
      cases.push_back(
          {"export_checkpoint_" + label, {"export", "--model", path, "--out", "{C}/out", "--data", "{M}"}, file});
    }
    if (label == "truncated" || pt) {
      // train --resume reads RUN/model.safetensors: the hostile file is put there.
      cases.push_back({"train_resume_checkpoint_" + label, train_args("{M}", run, {"--resume"}), "model.safetensors",
                       [file](const fs::path& c) {
                         fs::create_directories(c / "run");
                         fs::copy_file(kFixture / "ckpt" / file, c / "run" / "model.safetensors");
                       }});
    }
  }
  cases.push_back({"eval_checkpoint_four_inputs",
                   {"eval", "--model", "{F}/ckpt/four_inputs.safetensors", "--data", "{M}"},
                   "784 values"});
  cases.push_back({"export_checkpoint_four_inputs",
                   {"export", "--model", "{F}/ckpt/four_inputs.safetensors", "--out", "{C}/out", "--data", "{M}"},
                   "784 values"});
  cases.push_back({"train_resume_without_checkpoint", train_args("{M}", run, {"--resume"}), "model.safetensors",
                   [](const fs::path& c) { fs::create_directories(c / "run"); }});
  cases.push_back({"train_over_existing_run", train_args("{M}", run, {}), "--resume", [](const fs::path& c) {
                     fs::create_directories(c / "run");
                     fs::copy_file(kFixture / "run" / "model.safetensors", c / "run" / "model.safetensors");
                   }});
  cases.push_back({"train_resume_bad_data",
                   {"train", "--data", "{F}/data/idx_label_not_a_digit", "--out", run, "--resume", "--no-figures"},
                   "t10k-labels-idx1-ubyte",
                   [](const fs::path& c) {
                     fs::create_directories(c / "run");
                     fs::copy_file(kFixture / "run" / "model.safetensors", c / "run" / "model.safetensors");
                   }});

  // Outputs that cannot be written or would overwrite an input.
  cases.push_back({"train_out_under_a_file", train_args("{M}", "{F}/a_file/run", {}), "a_file"});
  cases.push_back({"train_out_is_a_file", train_args("{M}", "{F}/a_file", {}), "a_file"});
  cases.push_back({"train_out_is_the_data_folder", train_args("{F}/data/good", "{F}/data/good", {}), "data"});
  cases.push_back({"export_out_under_a_file",
                   {"export", "--model", "{F}/run/model.safetensors", "--out", "{F}/a_file/out", "--data", "{M}"},
                   "a_file"});
  cases.push_back(
      {"export_out_is_the_checkpoint",
       {"export", "--model", "{F}/run/model.safetensors", "--out", "{F}/run/model.safetensors", "--data", "{M}"},
       "model.safetensors"});
  // The checkpoint is called manifest.json and lives in --out: exporting
  // would replace the input with the manifest.
  cases.push_back({"export_would_overwrite_its_checkpoint",
                   {"export", "--model", "{C}/out/manifest.json", "--out", "{C}/out", "--data", "{M}"},
                   "manifest.json",
                   [](const fs::path& c) {
                     fs::create_directories(c / "out");
                     fs::copy_file(kFixture / "run" / "model.safetensors", c / "out" / "manifest.json");
                   }});
  cases.push_back({"deploy_keep_build_is_an_input_file",
                   {"deploy", "--headers", "{F}/headers", "--keep-build", "{F}/headers/manifest.json"},
                   "manifest.json"});
  cases.push_back({"deploy_keep_build_under_a_file",
                   {"deploy", "--headers", "{F}/headers", "--keep-build", "{F}/a_file/build"},
                   "a_file"});

  // Hostile export folders for deploy.
  for (const auto& [label, needle] : std::vector<std::pair<std::string, std::string>>{
           {"headers_empty", "manifest.json"},
           {"headers_garbage_manifest", "manifest.json"},
           {"headers_deep_manifest", "manifest.json"},
           {"headers_manifest_wrong_types", "manifest.json"},
           {"headers_manifest_escaping_header", "manifest.json"},
           {"headers_manifest_code_in_prefix", "manifest.json"},
           {"headers_missing_runtime", "tinyae.h"},
       }) {
    cases.push_back({"deploy_" + label, {"deploy", "--headers", "{F}/" + label, "--keep-build", "{C}/build"}, needle});
  }
  cases.push_back({"deploy_headers_missing", {"deploy", "--headers", "{F}/does_not_exist"}, "does_not_exist"});
  cases.push_back({"deploy_headers_is_a_file", {"deploy", "--headers", "{F}/a_file"}, "a_file"});
  return cases;
}

// For gtest's messages: the case's name, not its bytes.
void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

class HostileCli : public ::testing::TestWithParam<Case> {};

TEST_P(HostileCli, RefusesCleanly) {
  ensure_fixture();
  if (HasFatalFailure()) return;
  const Case& c = GetParam();
  const fs::path case_dir = kFixtureRoot / "cases" / c.name;
  fs::remove_all(case_dir);
  fs::create_directories(case_dir);
  if (c.setup) c.setup(case_dir);
  std::vector<std::string> args;
  for (const std::string& a : c.args) args.push_back(substitute(a, case_dir));
  const std::string needle = substitute(c.needle, case_dir);

  const auto shared_before = snapshot(kFixture);
  const auto case_before = snapshot(case_dir);
  // Output is captured in memory, so the folder's snapshot shows only what
  // tinyae did.
  const ProcessResult r = run_tinyae(args, case_dir, kCaseTimeoutSeconds);

  std::string command = "tinyae";
  for (const std::string& a : args) command += " '" + a + "'";
  SCOPED_TRACE(command + "\n  -> " + r.describe() + "\n  stderr: " + r.err.substr(0, 2000));
  std::printf("  %s\n  -> %s in %.2f s; stderr: %s", command.c_str(), r.describe().c_str(), r.seconds,
              r.err.substr(0, 600).c_str());
  EXPECT_FALSE(r.timed_out) << "hung";
  EXPECT_TRUE(r.exited) << "ended by a signal, not an exit";
  EXPECT_NE(r.exit_code, 0) << "accepted a hostile input";
  EXPECT_FALSE(r.err.empty()) << "nothing on stderr";
  EXPECT_NE(r.err.find(needle), std::string::npos) << "stderr does not name '" << needle << "'";
  EXPECT_EQ(r.err.find("internal error"), std::string::npos) << "a non-tinyae exception reached the user";
  EXPECT_EQ(r.err.find("Sanitizer"), std::string::npos) << "sanitizer report";
  EXPECT_EQ(snapshot_diff(shared_before, snapshot(kFixture)), "") << "changed the shared fixture";
  EXPECT_EQ(snapshot_diff(case_before, snapshot(case_dir)), "") << "left files behind in its folder";
  if (!HasFailure()) fs::remove_all(case_dir);
}

INSTANTIATE_TEST_SUITE_P(Table, HostileCli, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& param) { return param.param.name; });

}  // namespace
