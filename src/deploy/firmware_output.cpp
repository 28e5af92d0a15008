// Reading the firmware's report (see firmware_output.h).
#include "firmware_output.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "tinyae/common.h"

namespace tinyae {

namespace {

constexpr std::size_t kTailLines = 20;  // firmware lines quoted when it dies early

using Fields = std::map<std::string, std::string>;

// "KEY a=1 b=x" -> {a: "1", b: "x"} if the line starts with KEY.
bool parse_tagged_line(std::string_view line, std::string_view tag, Fields& fields) {
  if (line.size() <= tag.size() || line.substr(0, tag.size()) != tag || line[tag.size()] != ' ') return false;
  std::istringstream in{std::string(line.substr(tag.size() + 1))};
  std::string token;
  while (in >> token) {
    const std::size_t eq = token.find('=');
    if (eq != std::string::npos) fields[token.substr(0, eq)] = token.substr(eq + 1);
  }
  return true;
}

double to_double(const Fields& f, const std::string& key, std::string_view line) {
  auto it = f.find(key);
  if (it == f.end()) throw Error("firmware line lacks " + key + ": " + std::string(line));
  // strtod accepts "nan" and "inf", which the firmware prints for NaN errors.
  return std::strtod(it->second.c_str(), nullptr);
}

std::int64_t to_int(const Fields& f, const std::string& key, std::string_view line) {
  return static_cast<std::int64_t>(std::llround(to_double(f, key, line)));
}

std::string field(const Fields& f, const std::string& key) {
  auto it = f.find(key);
  return it == f.end() ? std::string() : it->second;
}

}  // namespace

void FirmwareOutput::add_line(std::string_view line) {
  last_lines_.emplace_back(line);
  if (last_lines_.size() > kTailLines) last_lines_.pop_front();
  Fields f;
  if (parse_tagged_line(line, "TINYAE_SCALING", f)) {
    pending_.scaled_vectors += 1;
    pending_.scaling_mismatched += field(f, "ok") == "1" ? 0 : 1;
  } else if (parse_tagged_line(line, "TINYAE_LOGVAR", f)) {
    DeployLogvar& logvar = pending_.logvar;
    const double err = to_double(f, "max_abs_err", line);
    logvar.vectors += 1;
    logvar.failed_vectors += field(f, "ok") == "1" ? 0 : 1;
    if (!(err <= logvar.max_abs_err)) logvar.max_abs_err = err;  // NaN stays
  } else if (parse_tagged_line(line, "TINYAE_SCORE", f)) {
    DeployScore s;
    s.vector = to_int(f, "vector", line);
    s.ok = field(f, "ok") == "1";
    s.device = to_double(f, "device", line);
    s.host = to_double(f, "host", line);
    s.threshold = to_double(f, "threshold", line);
    s.device_flag = field(f, "device_flag") == "1";
    s.host_flag = field(f, "host_flag") == "1";
    s.device_sum = std::strtoull(field(f, "device_sum").c_str(), nullptr, 10);
    s.host_sum = std::strtoull(field(f, "host_sum").c_str(), nullptr, 10);
    pending_.scores.push_back(s);
  } else if (parse_tagged_line(line, "TINYAE_MODEL", f)) {
    DeployModelResult m = std::move(pending_);
    pending_ = DeployModelResult();
    m.name = field(f, "name");
    m.ok = field(f, "ok") == "1";
    m.vectors = to_int(f, "vectors", line);
    m.failed_vectors = to_int(f, "failed", line);
    m.max_abs_err = to_double(f, "max_abs_err", line);
    m.instructions_per_inference = to_int(f, "instructions", line);
    m.macs = to_int(f, "macs", line);
    order.push_back(m.name);
    models[m.name] = m;
  } else if (parse_tagged_line(line, "TINYAE_SUMMARY", f)) {
    saw_summary = true;
    summary_ok = field(f, "ok") == "1";
    max_abs_err = to_double(f, "max_abs_err", line);
    instructions_per_tick = to_double(f, "instructions_per_tick", line);
  }
}

std::string FirmwareOutput::tail() const {
  std::string text;
  for (const std::string& line : last_lines_) text += "  " + line + "\n";
  return text.empty() ? "  (no output)\n" : text;
}

void collect_firmware_results(const FirmwareOutput& output, int exit_status, const Manifest& manifest,
                              const std::string& manifest_path, DeployResult& result) {
  if (!output.saw_summary) {
    throw Error("the firmware on " + result.board + " stopped (exit status " + std::to_string(exit_status) +
                ") before printing its summary; last output:\n" + output.tail());
  }
  for (const ManifestModel& m : manifest.models) {
    const auto found = output.models.find(m.name);
    if (found == output.models.end()) {
      throw Error("the firmware printed no result for model " + m.name + "; last output:\n" + output.tail());
    }
    if (found->second.macs != m.macs) {
      throw Error("'" + manifest_path + "' gives " + std::to_string(m.macs) + " MACs for " + m.name + " but " +
                  m.header + " defines " + std::to_string(found->second.macs) +
                  "; the folder is inconsistent, re-export it");
    }
  }
  result.exit_status = exit_status;
  result.models = output.models;
  result.max_abs_err = output.max_abs_err;
  result.instructions_per_tick = output.instructions_per_tick;
  // Headline: the autoencoder, else the model with the most MACs.
  const DeployModelResult* headline = nullptr;
  for (const auto& [name, m] : result.models) {
    if (name == "autoencoder" || headline == nullptr || (headline->name != "autoencoder" && m.macs > headline->macs)) {
      headline = &m;
    }
  }
  result.headline_model = headline->name;
  result.instructions_per_inference = headline->instructions_per_inference;
  result.macs = headline->macs;
  result.instructions_per_mac = headline->instructions_per_mac();
  result.ok = exit_status == 0 && output.summary_ok &&
              std::all_of(result.models.begin(), result.models.end(), [](const auto& kv) { return kv.second.ok; });
}

}  // namespace tinyae
