// Writing an export folder so that no reader ever sees it half-written
// (the rules are export_models()'s, in tinyae/export.h): a fresh folder is
// built beside its final place and renamed once; an existing one gets a
// staging folder inside it and one rename per file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export_internal.h"
#include "tinyae/common.h"

namespace tinyae {
namespace fs = std::filesystem;

namespace {

// Creates and removes a file in `dir`, so that an unwritable folder is
// reported before any work is done.
void probe_writable(const fs::path& dir, const fs::path& out_dir) {
  std::string name = (dir / ".tinyae-probe-XXXXXX").string();
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    throw Error("cannot write output folder '" + out_dir.string() + "': cannot create a file in '" + dir.string() +
                "': " + errno_text());
  }
  ::close(fd);
  ::unlink(name.c_str());
}

// Writes `files` into a fresh folder `root` (which must not exist yet).
void write_tree(const fs::path& root, const std::vector<OutputFile>& files) {
  for (const OutputFile& file : files) {
    const fs::path target = root / file.path;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw Error("cannot create folder '" + target.parent_path().string() + "': " + ec.message());
    write_file_atomically(target, file.contents);
  }
}

// A new, empty, uniquely named folder `<dir>/<stem>XXXXXX`, with the
// permissions a plain mkdir would give (mkdtemp makes it private).
fs::path make_staging_folder(const fs::path& dir, const std::string& stem) {
  std::string name = (dir / (stem + "XXXXXX")).string();
  if (::mkdtemp(name.data()) == nullptr) {
    throw Error("cannot create a staging folder in '" + dir.string() + "': " + errno_text());
  }
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(name.c_str(), 0777 & ~mask);
  return name;
}

}  // namespace

void check_output_location(const fs::path& out_dir) {
  if (out_dir.empty()) throw Error("no output folder given: expected --out DIR");
  std::error_code ec;
  const fs::file_status status = fs::status(out_dir, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      throw Error("output folder '" + out_dir.string() + "' exists and is a file, not a folder; choose another --out");
    }
    probe_writable(out_dir, out_dir);
    return;
  }
  // The folder will be created: its nearest existing ancestor must be a
  // writable folder (ENOTDIR below a file reads as "not found" here).
  fs::path ancestor = fs::absolute(out_dir).lexically_normal();
  if (ancestor.filename().empty()) ancestor = ancestor.parent_path();
  do {
    ancestor = ancestor.parent_path();
  } while (!fs::exists(fs::status(ancestor, ec)) && ancestor != ancestor.root_path());
  if (!fs::is_directory(fs::status(ancestor, ec))) {
    throw Error("cannot create output folder '" + out_dir.string() + "': '" + ancestor.string() +
                "' is a file, not a folder");
  }
  probe_writable(ancestor, out_dir);
}

void write_output(const fs::path& out_dir, const std::vector<OutputFile>& files, const fs::path& input) {
  std::error_code ec;
  // `--model OUT/manifest.json --out OUT` would lose the user's model.
  for (const OutputFile& file : files) {
    if (fs::equivalent(out_dir / file.path, input, ec)) {
      throw Error("export to '" + out_dir.string() + "' would overwrite its input checkpoint '" + input.string() +
                  "' (as " + file.path.string() + "); choose another --out");
    }
  }
  if (!fs::exists(out_dir, ec)) {
    // Fresh folder: build it beside its final place, then one rename.
    const fs::path parent = fs::absolute(out_dir).lexically_normal().parent_path();
    fs::create_directories(parent, ec);
    if (ec) throw Error("cannot create folder '" + parent.string() + "': " + ec.message());
    const fs::path staging =
        make_staging_folder(parent, "." + fs::absolute(out_dir).lexically_normal().filename().string() + ".tinyae-");
    try {
      write_tree(staging, files);
      fs::rename(staging, out_dir, ec);
      if (ec) throw Error("cannot move the export into '" + out_dir.string() + "': " + ec.message());
    } catch (...) {
      fs::remove_all(staging, ec);
      throw;
    }
    return;
  }
  if (!fs::is_directory(out_dir, ec)) {
    throw Error("output folder '" + out_dir.string() + "' exists and is a file, not a folder; choose another --out");
  }
  // Existing folder: stage inside it (same file system, so renames are
  // atomic), check every target, then replace the files one by one.
  const fs::path staging = make_staging_folder(out_dir, ".tinyae-staging-");
  try {
    write_tree(staging, files);
    for (const OutputFile& file : files) {
      const fs::path target = out_dir / file.path;
      for (fs::path folder = file.path.parent_path(); !folder.empty(); folder = folder.parent_path()) {
        const fs::file_status s = fs::status(out_dir / folder, ec);
        if (fs::exists(s) && !fs::is_directory(s)) {
          throw Error("cannot write '" + target.string() + "': '" + (out_dir / folder).string() + "' is a file");
        }
      }
      if (fs::is_directory(target, ec)) {
        throw Error("cannot write '" + target.string() + "': a folder of that name is in the way");
      }
    }
    for (const OutputFile& file : files) {
      const fs::path target = out_dir / file.path;
      fs::create_directories(target.parent_path(), ec);
      if (ec) throw Error("cannot create folder '" + target.parent_path().string() + "': " + ec.message());
      fs::rename(staging / file.path, target, ec);
      if (ec) throw Error("cannot write '" + target.string() + "': " + ec.message());
    }
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  fs::remove_all(staging, ec);
}

fs::path without_trailing_separator(const fs::path& path) {
  fs::path p = path;
  while (p.has_relative_path() && p.filename().empty()) p = p.parent_path();
  return p;
}

}  // namespace tinyae
