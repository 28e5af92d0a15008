// deploy.cpp - `tinyae deploy`: build the self-test firmware for an exported
// model folder, run it under QEMU, and collect what it reports.
//
// Steps: read DIR/manifest.json; write one small C file per model (it includes
// the model's header and fills a tinyae_fw_model entry, see
// tools/firmware/firmware.h) plus the model table; compile those, the
// firmware sources and DIR's copy of the runtime with arm-none-eabi-gcc -O2;
// link with the board's linker script; read the sizes with arm-none-eabi-size;
// boot qemu-system-arm with -icount shift=0 and semihosting; stream its output
// and parse the TINYAE_MODEL / TINYAE_SUMMARY lines the firmware prints.
//
// Every external program is started with posix_spawn and an argv vector (no
// shell), so paths with spaces or quotes work.
#include "tinyae/deploy.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <thread>

#include "tinyae/common.h"

extern char** environ;

namespace tinyae {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxManifestBytes = 1 << 20;
constexpr std::uint64_t kMaxCompilerLogBytes = 1 << 20;
constexpr std::size_t kTailLines = 20;  // firmware lines quoted when it dies early
constexpr const char* kToolchainHint =
    "install the Arm toolchain and newlib: sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi";
constexpr const char* kQemuHint = "install QEMU: sudo apt-get install qemu-system-arm";

// Flags for every firmware source. The runtime additionally gets the strict
// freestanding set it is written for.
const std::vector<std::string> kCommonFlags = {"-O2", "-ffunction-sections", "-fdata-sections",
                                               "-Wall", "-Wextra", "-Werror"};
const std::vector<std::string> kRuntimeFlags = {"-std=c99", "-ffreestanding", "-pedantic"};
const std::vector<std::string> kFirmwareFlags = {"-std=gnu99"};  // newlib's POSIX prototypes (write, _exit)
// Link: newlib with semihosting (rdimon); startup.c replaces crt0.
const std::vector<std::string> kLinkFlags = {"--specs=rdimon.specs", "-nostartfiles", "-Wl,--gc-sections"};

// The number formats the firmware can run, and the firmware files each needs.
struct NumberFormat {
  std::string name;                   // manifest "number_format"
  std::string runtime_source;         // the runtime file in DIR this format needs
  std::string firmware_source;        // the firmware's run function
  std::string run_function;           // its name, for the generated table
  std::string scratch_macro_suffix;   // <PREFIX>_<suffix>: the scratch size macro
  std::string scratch_type;           // element type of the scratch buffer
  std::string output_type;            // element type of inputs and outputs
  std::string value_function;         // reads an output as a float, for the comparison
  bool exact = false;                 // outputs must equal the golden ones: tolerance 0
};

const std::vector<NumberFormat>& number_formats() {
  static const std::vector<NumberFormat> formats = {
      {"float32", "tinyae_f32.c", "run_f32.c", "tinyae_fw_run_f32", "SCRATCH_FLOATS", "float", "float",
       "tinyae_fw_value_f32", false},
      // int8 golden outputs come from the exporter's host reference of the
      // same integer math, so the device must reproduce them bit for bit.
      {"int8", "tinyae_int8.c", "run_i8.c", "tinyae_fw_run_i8", "SCRATCH_WORDS", "int32_t", "int8_t",
       "tinyae_fw_value_i8", true},
  };
  return formats;
}

const NumberFormat& find_number_format(const std::string& name, const fs::path& manifest) {
  std::string valid;
  for (const NumberFormat& f : number_formats()) {
    if (f.name == name) return f;
    valid += (valid.empty() ? "" : ", ") + f.name;
  }
  throw Error("'" + manifest.string() + "': number_format \"" + name +
              "\" is not supported by deploy (supported: " + valid + ")");
}

// ---------------------------------------------------------------- processes --

// Finds an executable in $PATH; empty if absent.
fs::path find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    const fs::path candidate = fs::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
  }
  return {};
}

fs::path require_program(const std::string& program, const char* hint) {
  fs::path found = find_in_path(program);
  if (found.empty()) throw Error(program + " not found in PATH; " + hint);
  return found;
}

std::string describe_command(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& a : argv) {
    const bool quote = a.find_first_of(" \t'\"") != std::string::npos;
    text += (text.empty() ? "" : " ") + (quote ? "'" + a + "'" : a);
  }
  return text;
}

// A started child process; kills and reaps it if destroyed while running, so
// an exception never leaves QEMU behind.
class Child {
 public:
  // stdout and stderr go to output_fd (or /dev/null if -1); stdin is /dev/null.
  Child(const std::vector<std::string>& argv, int output_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (output_fd >= 0) {
      posix_spawn_file_actions_adddup2(&actions, output_fd, 1);
      posix_spawn_file_actions_adddup2(&actions, output_fd, 2);
    } else {
      posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
      posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw Error("cannot start '" + argv[0] + "': " + std::strerror(rc));
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait();
    }
  }
  void kill() { ::kill(pid_, SIGKILL); }
  // Waits for the exit; returns the exit status, or 128 + signal.
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

struct FileDescriptor {
  int fd = -1;
  explicit FileDescriptor(int f) : fd(f) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// Runs a tool with its output in log_path; throws with the log's text if the
// tool fails. Several may run at once: see run_tools_in_parallel.
struct ToolRun {
  std::vector<std::string> argv;
  fs::path log_path;
  std::string what;  // e.g. "compiling main.c"
};

void run_tools_in_parallel(const std::vector<ToolRun>& runs, unsigned jobs) {
  struct Running {
    const ToolRun* run;
    std::unique_ptr<Child> child;
  };
  std::vector<Running> running;
  auto finish_oldest = [&]() {
    Running r = std::move(running.front());
    running.erase(running.begin());
    const int status = r.child->wait();
    if (status != 0) {
      std::string log;
      try {
        log = read_file(r.run->log_path, kMaxCompilerLogBytes);
      } catch (const Error&) {
      }
      std::string hint;
      if (log.find("rdimon") != std::string::npos || log.find("No such file") != std::string::npos) {
        hint = std::string("\nhint: ") + kToolchainHint;
      }
      throw Error(r.run->what + " failed (exit status " + std::to_string(status) + ")\ncommand: " +
                  describe_command(r.run->argv) + "\n" + log + hint);
    }
  };
  for (const ToolRun& run : runs) {
    if (running.size() >= std::max(1u, jobs)) finish_oldest();
    const int fd = ::open(run.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot create '" + run.log_path.string() + "': " + std::strerror(errno));
    FileDescriptor log(fd);
    running.push_back({&run, std::make_unique<Child>(run.argv, log.fd)});
  }
  while (!running.empty()) finish_oldest();
}

struct StreamedRun {
  int exit_status = -1;
  bool timed_out = false;
  std::vector<std::string> lines;
};

// Runs a program, handing each output line (stdout and stderr merged) to
// on_line as it arrives; kills it after timeout_seconds.
StreamedRun run_streaming(const std::vector<std::string>& argv, double timeout_seconds,
                          const std::function<void(std::string_view)>& on_line) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("cannot create a pipe: ") + std::strerror(errno));
  FileDescriptor read_end(fds[0]);
  FileDescriptor write_end(fds[1]);
  Child child(argv, write_end.fd);
  write_end.close();  // the child holds the only write end: EOF when it exits

  StreamedRun result;
  std::string pending;
  auto emit = [&](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (on_line) on_line(line);
    result.lines.push_back(std::move(line));
  };
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
  char buffer[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      child.kill();
      break;
    }
    pollfd p{read_end.fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) throw Error(std::string("poll failed: ") + std::strerror(errno));
    if (ready <= 0) continue;
    const ssize_t n = ::read(read_end.fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child exited (or closed its output)
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline;
    while ((newline = pending.find('\n')) != std::string::npos) {
      emit(pending.substr(0, newline));
      pending.erase(0, newline + 1);
    }
  }
  if (!pending.empty()) emit(pending);
  result.exit_status = child.wait();
  return result;
}

// ------------------------------------------------------------------ manifest --

struct ManifestModel {
  std::string name;    // manifest "name"
  std::string prefix;  // C prefix of the header's symbols
  std::string header;  // file name in DIR
  std::int64_t macs = 0;
};

struct Manifest {
  const NumberFormat* format = nullptr;
  std::vector<ManifestModel> models;
};

bool is_c_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Manifest read_manifest(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error("headers folder '" + dir.string() + "' " + (fs::exists(dir, ec) ? "is a file, not a folder" : "does not exist") +
                "; run 'tinyae export --out " + dir.string() + "' first");
  }
  const fs::path path = dir / "manifest.json";
  if (!fs::exists(path, ec)) {
    throw Error("'" + path.string() + "' not found: is '" + dir.string() +
                "' a folder written by 'tinyae export'?");
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path, kMaxManifestBytes));
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + path.string() + "' is not valid JSON: " + e.what());
  }
  auto field = [&](const nlohmann::json& object, const char* key, const std::string& where) -> const nlohmann::json& {
    if (!object.is_object() || !object.contains(key)) {
      throw Error("'" + path.string() + "': " + where + " has no \"" + key + "\"");
    }
    return object.at(key);
  };
  // nlohmann converts a JSON real to an integer with a plain cast, undefined
  // behaviour for 1e25: only JSON integers that fit are accepted.
  auto integer = [&](const nlohmann::json& object, const char* key, const std::string& where) -> std::int64_t {
    const nlohmann::json& value = field(object, key, where);
    if (!value.is_number_integer() ||
        (value.is_number_unsigned() && value.get<std::uint64_t>() > std::uint64_t{INT64_MAX})) {
      throw Error("'" + path.string() + "': " + where + " \"" + key + "\" should be an integer, found " +
                  (value.is_number() ? "a number out of range" : std::string("a ") + value.type_name()));
    }
    return value.get<std::int64_t>();
  };
  Manifest m;
  try {
    const std::int64_t version = integer(j, "header_format_version", "the manifest");
    if (version != 1) {
      throw Error("'" + path.string() + "': header_format_version " + std::to_string(version) +
                  ", this deploy reads version 1; re-export with this tinyae");
    }
    m.format = &find_number_format(field(j, "number_format", "the manifest").get<std::string>(), path);
    const nlohmann::json& models = field(j, "models", "the manifest");
    if (!models.is_array() || models.empty()) {
      throw Error("'" + path.string() + "': \"models\" should be a non-empty array");
    }
    for (std::size_t i = 0; i < models.size(); i++) {
      const std::string where = "models[" + std::to_string(i) + "]";
      ManifestModel mm;
      mm.name = field(models[i], "name", where).get<std::string>();
      mm.prefix = field(models[i], "prefix", where).get<std::string>();
      mm.header = field(models[i], "header", where).get<std::string>();
      mm.macs = integer(models[i], "macs", where);
      const std::int64_t golden = integer(models[i], "golden_count", where);
      if (!is_c_identifier(mm.name) || !is_c_identifier(mm.prefix)) {
        throw Error("'" + path.string() + "': " + where + " name \"" + mm.name + "\" / prefix \"" + mm.prefix +
                    "\" should be C identifiers");
      }
      if (golden < 1) {
        throw Error("'" + path.string() + "': " + where + " (" + mm.name +
                    ") has no golden vectors; the firmware needs at least one to check");
      }
      if (mm.header.empty() || mm.header.find('/') != std::string::npos || mm.header.find('"') != std::string::npos) {
        throw Error("'" + path.string() + "': " + where + " header \"" + mm.header +
                    "\" should be a plain file name in the folder");
      }
      if (!fs::is_regular_file(dir / mm.header, ec)) {
        throw Error("'" + (dir / mm.header).string() + "' (listed in the manifest for " + mm.name + ") not found");
      }
      m.models.push_back(mm);
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error("'" + path.string() + "': unexpected content: " + e.what());
  }
  for (const char* needed : {"tinyae.h", m.format->runtime_source.c_str()}) {
    if (!fs::is_regular_file(dir / needed, ec)) {
      throw Error("'" + (dir / needed).string() + "' not found: the runtime is copied there by 'tinyae export'");
    }
  }
  return m;
}

// DIR/tinyae*.c, sorted.
std::vector<fs::path> runtime_sources(const fs::path& dir) {
  std::vector<fs::path> sources;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.rfind("tinyae", 0) == 0 && e.path().extension() == ".c") {
      sources.push_back(e.path());
    }
  }
  std::sort(sources.begin(), sources.end());
  return sources;
}

// ---------------------------------------------------------- generated files --

// fw_model_<prefix>.c: one tinyae_fw_model for one exported header, in its
// own file so the big weight arrays of different models compile in parallel.
std::string model_source(const ManifestModel& m, const NumberFormat& format) {
  const std::string P = upper(m.prefix);
  const std::string& p = m.prefix;
  std::ostringstream c;
  c << "/* Generated by tinyae deploy from manifest.json -- the self-test entry for " << m.name << ". */\n"
    << "#include \"firmware.h\"\n"
    << "#include \"" << m.header << "\"\n\n"
    << "static " << format.scratch_type << " " << p << "_fw_scratch[" << P << "_" << format.scratch_macro_suffix
    << " + 1]; /* +1: C has no zero-length arrays */\n"
    << "static " << format.output_type << " " << p << "_fw_predicted[" << P
    << "_OUTPUT_SIZE]; /* (output_size) */\n\n"
    << "const tinyae_fw_model tinyae_fw_model_" << p << " = {\n"
    << "    \"" << m.name << "\", \"" << format.name << "\",\n"
    << "    " << P << "_INPUT_SIZE, " << P << "_OUTPUT_SIZE, " << P << "_GOLDEN_COUNT, " << P << "_MACS,\n"
    << "    &" << p << "_model, &" << p << "_golden_inputs[0][0], &" << p << "_golden_outputs[0][0],\n"
    << "    " << p << "_fw_scratch, " << P << "_" << format.scratch_macro_suffix << ", " << p << "_fw_predicted,\n"
    << "    " << format.run_function << ", " << format.value_function << "};\n";
  return c.str();
}

std::string table_source(const Manifest& manifest, double tolerance) {
  std::ostringstream c;
  c << "/* Generated by tinyae deploy from manifest.json -- the models the firmware self-tests. */\n"
    << "#include \"firmware.h\"\n\n";
  for (const ManifestModel& m : manifest.models) c << "extern const tinyae_fw_model tinyae_fw_model_" << m.prefix << ";\n";
  c << "\nconst tinyae_fw_model *const tinyae_fw_models[] = {\n";
  for (const ManifestModel& m : manifest.models) c << "    &tinyae_fw_model_" << m.prefix << ",\n";
  char tol[64];
  std::snprintf(tol, sizeof tol, "%.17g", tolerance);
  c << "};\nconst uint32_t tinyae_fw_model_count = " << manifest.models.size() << ";\n"
    << "const double tinyae_fw_tolerance = " << tol << ";\n";
  return c.str();
}

// ------------------------------------------------------------------- parsing --

// "KEY a=1 b=x" -> {a: "1", b: "x"} if the line starts with KEY.
bool parse_tagged_line(const std::string& line, const std::string& tag, std::map<std::string, std::string>& fields) {
  if (line.rfind(tag + " ", 0) != 0) return false;
  std::istringstream in(line.substr(tag.size() + 1));
  std::string token;
  while (in >> token) {
    const std::size_t eq = token.find('=');
    if (eq != std::string::npos) fields[token.substr(0, eq)] = token.substr(eq + 1);
  }
  return true;
}

double to_double(const std::map<std::string, std::string>& f, const std::string& key, const std::string& line) {
  auto it = f.find(key);
  if (it == f.end()) throw Error("firmware line lacks " + key + ": " + line);
  // strtod accepts "nan" and "inf", which the firmware prints for NaN errors.
  return std::strtod(it->second.c_str(), nullptr);
}

std::int64_t to_int(const std::map<std::string, std::string>& f, const std::string& key, const std::string& line) {
  return static_cast<std::int64_t>(std::llround(to_double(f, key, line)));
}

std::string tail(const std::vector<std::string>& lines) {
  std::string text;
  const std::size_t from = lines.size() > kTailLines ? lines.size() - kTailLines : 0;
  for (std::size_t i = from; i < lines.size(); i++) text += "  " + lines[i] + "\n";
  return text.empty() ? "  (no output)\n" : text;
}

// Build folder: a fresh temporary one removed afterwards, or --keep-build.
class BuildDir {
 public:
  explicit BuildDir(const fs::path& keep) {
    if (!keep.empty()) {
      ensure_writable_directory(keep);
      path_ = fs::absolute(keep);
      return;
    }
    std::string pattern = (fs::temp_directory_path() / "tinyae-deploy-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw Error("cannot create a temporary build folder '" + pattern + "': " + std::strerror(errno));
    }
    path_ = pattern;
    remove_ = true;
  }
  BuildDir(const BuildDir&) = delete;
  BuildDir& operator=(const BuildDir&) = delete;
  ~BuildDir() {
    if (remove_) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool remove_ = false;
};

void write_text(const fs::path& path, const std::string& text) { write_file_atomically(path, std::string_view(text)); }

}  // namespace

// -------------------------------------------------------------------- public --

const std::vector<Board>& deploy_boards() {
  static const std::vector<Board> boards = {
      {"mps2-an386", "Cortex-M4F", {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"}, "mps2.ld"},
      // QEMU's Cortex-M7 has the double-precision FPU (MVFR0 = 0x10110221).
      {"mps2-an500", "Cortex-M7", {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"}, "mps2.ld"},
  };
  return boards;
}

const Board& find_board(std::string_view name) {
  std::string valid;
  for (const Board& b : deploy_boards()) {
    if (b.name == name) return b;
    valid += (valid.empty() ? "" : ", ") + b.name + " (" + b.cpu + ")";
  }
  throw Error("unknown board '" + std::string(name) + "'; valid boards: " + valid);
}

fs::path firmware_source_dir() {
  const char* env = std::getenv("TINYAE_FIRMWARE_DIR");
  const fs::path dir = (env != nullptr && *env != '\0') ? fs::path(env) : fs::path(TINYAE_SOURCE_DIR) / "tools" / "firmware";
  std::error_code ec;
  if (!fs::is_regular_file(dir / "main.c", ec)) {
    throw Error("firmware sources not found: '" + (dir / "main.c").string() + "' is missing" +
                (env != nullptr && *env != '\0' ? " (TINYAE_FIRMWARE_DIR is set)"
                                                : "; set TINYAE_FIRMWARE_DIR to the tools/firmware folder"));
  }
  return dir;
}

double DeployModelResult::instructions_per_mac() const {
  return macs > 0 ? static_cast<double>(instructions_per_inference) / static_cast<double>(macs) : 0.0;
}

nlohmann::json DeployResult::to_json() const {
  auto number = [](double x) -> nlohmann::json {
    return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);  // JSON has no NaN
  };
  nlohmann::json j;
  j["board"] = board;
  j["ok"] = ok;
  j["exit_status"] = exit_status;
  j["max_abs_err"] = number(max_abs_err);
  j["tolerance"] = tolerance;
  j["number_format"] = number_format;
  j["bit_exact"] = ok && max_abs_err == 0.0;
  j["headline_model"] = headline_model;
  j["instructions_per_inference"] = instructions_per_inference;
  j["macs"] = macs;
  j["instructions_per_mac"] = number(instructions_per_mac);
  j["instructions_per_tick"] = number(instructions_per_tick);
  j["text"] = text;
  j["data"] = data;
  j["bss"] = bss;
  j["flags"] = flags;
  j["models"] = nlohmann::json::object();
  for (const auto& [name, m] : models) {
    j["models"][name] = {{"ok", m.ok},
                         {"vectors", m.vectors},
                         {"failed_vectors", m.failed_vectors},
                         {"max_abs_err", number(m.max_abs_err)},
                         {"instructions_per_inference", m.instructions_per_inference},
                         {"macs", m.macs},
                         {"instructions_per_mac", number(m.instructions_per_mac())}};
  }
  return j;
}

DeployResult deploy(const DeployOptions& options) {
  auto progress = [&](const std::string& message) {
    if (options.on_progress) options.on_progress(message);
  };
  const Board& board = find_board(options.board);
  if (!(options.tolerance >= 0.0) || !std::isfinite(options.tolerance)) {
    throw Error("--tolerance should be a finite number >= 0, got " + std::to_string(options.tolerance));
  }
  if (!(options.timeout_seconds > 0.0)) {
    throw Error("--timeout should be > 0 seconds, got " + std::to_string(options.timeout_seconds));
  }
  const fs::path headers = fs::absolute(options.headers_dir);
  const Manifest manifest = read_manifest(headers);
  const fs::path firmware = firmware_source_dir();
  const fs::path gcc = require_program("arm-none-eabi-gcc", kToolchainHint);
  const fs::path size_tool = require_program("arm-none-eabi-size", kToolchainHint);
  const fs::path qemu = require_program("qemu-system-arm", kQemuHint);

  BuildDir build(options.keep_build_dir);
  const fs::path& out = build.path();

  // Generated sources.
  std::vector<fs::path> model_sources;
  for (const ManifestModel& m : manifest.models) {
    const fs::path source = out / ("fw_model_" + m.prefix + ".c");
    write_text(source, model_source(m, *manifest.format));
    model_sources.push_back(source);
  }
  // int8 (an exact format) passes only if bit-exact, whatever --tolerance says.
  const double tolerance = manifest.format->exact ? 0.0 : options.tolerance;
  write_text(out / "fw_models.c", table_source(manifest, tolerance));

  // Compile: each source to an object, in parallel (the model files hold
  // megabytes of float literals and dominate).
  std::vector<std::string> base = {gcc.string()};
  base.insert(base.end(), board.cpu_flags.begin(), board.cpu_flags.end());
  base.insert(base.end(), kCommonFlags.begin(), kCommonFlags.end());
  base.insert(base.end(), {"-I", firmware.string(), "-I", headers.string()});
  std::vector<ToolRun> compiles;
  std::vector<std::string> objects;
  auto add_compile = [&](const fs::path& source, const std::vector<std::string>& extra, const std::string& stem) {
    ToolRun r;
    r.argv = base;
    r.argv.insert(r.argv.end(), extra.begin(), extra.end());
    const std::string object = (out / (stem + ".o")).string();
    r.argv.insert(r.argv.end(), {"-c", source.string(), "-o", object});
    r.log_path = out / (stem + ".log");
    r.what = "compiling " + source.string();
    compiles.push_back(r);
    objects.push_back(object);
  };
  for (std::size_t i = 0; i < model_sources.size(); i++) {
    add_compile(model_sources[i], kFirmwareFlags, model_sources[i].stem().string());
  }
  // The runtime: every tinyae*.c the exporter copied (the status strings live
  // in tinyae_f32.c whatever the format); --gc-sections drops what is unused.
  for (const fs::path& source : runtime_sources(headers)) {
    add_compile(source, kRuntimeFlags, "runtime_" + source.stem().string());
  }
  for (const char* name : {"main.c", "startup.c"}) add_compile(firmware / name, kFirmwareFlags, fs::path(name).stem().string());
  add_compile(firmware / manifest.format->firmware_source, kFirmwareFlags,
              fs::path(manifest.format->firmware_source).stem().string());
  add_compile(out / "fw_models.c", kFirmwareFlags, "fw_models");
  progress("compiling " + std::to_string(compiles.size()) + " sources for " + board.name + " (" + board.cpu +
           ") with " + gcc.string());
  const unsigned cores = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  run_tools_in_parallel(compiles, cores);

  // Link.
  const fs::path elf = out / "firmware.elf";
  ToolRun link;
  link.argv = {gcc.string()};
  link.argv.insert(link.argv.end(), board.cpu_flags.begin(), board.cpu_flags.end());
  link.argv.insert(link.argv.end(), kLinkFlags.begin(), kLinkFlags.end());
  link.argv.insert(link.argv.end(), {"-T", (firmware / board.linker_script).string()});
  link.argv.insert(link.argv.end(), objects.begin(), objects.end());
  link.argv.insert(link.argv.end(), {"-lm", "-o", elf.string()});
  link.log_path = out / "link.log";
  link.what = "linking " + elf.string();
  run_tools_in_parallel({link}, 1);

  DeployResult result;
  result.board = board.name;
  result.tolerance = tolerance;
  result.number_format = manifest.format->name;
  result.flags["cpu"] = board.cpu_flags;
  result.flags["common"] = kCommonFlags;
  result.flags["runtime"] = kRuntimeFlags;
  result.flags["firmware"] = kFirmwareFlags;
  result.flags["link"] = kLinkFlags;

  // Sizes (Berkeley format: a header line, then "text data bss dec hex file").
  {
    const fs::path size_log = out / "size.txt";
    run_tools_in_parallel({{{size_tool.string(), elf.string()}, size_log, "measuring " + elf.string()}}, 1);
    std::istringstream in(read_file(size_log, kMaxCompilerLogBytes));
    std::string header_line;
    std::getline(in, header_line);
    if (!(in >> result.text >> result.data >> result.bss)) {
      throw Error("cannot parse the output of arm-none-eabi-size in '" + size_log.string() + "'");
    }
  }
  progress("firmware " + elf.string() + ": text " + std::to_string(result.text) + " B, data " +
           std::to_string(result.data) + " B, bss " + std::to_string(result.bss) + " B");

  // Run.
  const std::vector<std::string> qemu_argv = {qemu.string(), "-M", board.name, "-nographic", "-monitor", "none",
                                              "-semihosting-config", "enable=on,target=native", "-icount", "shift=0",
                                              "-kernel", elf.string()};
  progress("running: " + describe_command(qemu_argv));
  const StreamedRun run = run_streaming(qemu_argv, options.timeout_seconds, options.on_firmware_line);
  if (run.timed_out) {
    throw Error("QEMU (" + board.name + ") did not finish within " + std::to_string(options.timeout_seconds) +
                " s and was killed; last output:\n" + tail(run.lines));
  }
  result.exit_status = run.exit_status;

  bool saw_summary = false;
  bool summary_ok = false;
  for (const std::string& line : run.lines) {
    std::map<std::string, std::string> f;
    if (parse_tagged_line(line, "TINYAE_MODEL", f)) {
      DeployModelResult m;
      m.name = f["name"];
      m.ok = f["ok"] == "1";
      m.vectors = to_int(f, "vectors", line);
      m.failed_vectors = to_int(f, "failed", line);
      m.max_abs_err = to_double(f, "max_abs_err", line);
      m.instructions_per_inference = to_int(f, "instructions", line);
      m.macs = to_int(f, "macs", line);
      result.models[m.name] = m;
    } else if (parse_tagged_line(line, "TINYAE_SUMMARY", f)) {
      saw_summary = true;
      summary_ok = f["ok"] == "1";
      result.max_abs_err = to_double(f, "max_abs_err", line);
      result.instructions_per_tick = to_double(f, "instructions_per_tick", line);
    }
  }
  if (!saw_summary) {
    throw Error("the firmware on " + board.name + " stopped (exit status " + std::to_string(run.exit_status) +
                ") before printing its summary; last output:\n" + tail(run.lines));
  }
  for (const ManifestModel& m : manifest.models) {
    if (result.models.count(m.name) == 0) {
      throw Error("the firmware printed no result for model " + m.name + "; last output:\n" + tail(run.lines));
    }
    if (result.models[m.name].macs != m.macs) {
      throw Error("'" + (headers / "manifest.json").string() + "' gives " + std::to_string(m.macs) + " MACs for " +
                  m.name + " but " + m.header + " defines " + std::to_string(result.models[m.name].macs) +
                  "; the folder is inconsistent, re-export it");
    }
  }
  // Headline: the autoencoder, else the model with the most MACs.
  const DeployModelResult* headline = nullptr;
  for (const auto& [name, m] : result.models) {
    if (name == "autoencoder" || headline == nullptr ||
        (headline->name != "autoencoder" && m.macs > headline->macs)) {
      headline = &m;
    }
  }
  result.headline_model = headline->name;
  result.instructions_per_inference = headline->instructions_per_inference;
  result.macs = headline->macs;
  result.instructions_per_mac = headline->instructions_per_mac();
  result.ok = run.exit_status == 0 && summary_ok &&
              std::all_of(result.models.begin(), result.models.end(), [](const auto& kv) { return kv.second.ok; });
  return result;
}

}  // namespace tinyae
