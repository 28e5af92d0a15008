// What the self-test firmware reports (tools/firmware/main.c prints it):
//   TINYAE_LOGVAR model=encoder vector=0 ok=1 max_abs_err=... at=... expected=... predicted=...
//   TINYAE_SCALING model=autoencoder vector=0 ok=1 mismatches=0
//   TINYAE_SCORE model=autoencoder vector=0 ok=1 device=... host=... threshold=... device_flag=0 host_flag=0 ...
//   TINYAE_MODEL name=encoder format=float32 ok=1 vectors=2 failed=0 max_abs_err=... instructions=... macs=...
//   TINYAE_SUMMARY ok=1 models=3 max_abs_err=... instructions_per_tick=... cpuid=...
// read line by line as QEMU prints them, and turned into a DeployResult.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "tinyae/deploy.h"
#include "tinyae/manifest.h"

namespace tinyae {

class FirmwareOutput {
 public:
  // Parses a TINYAE_LOGVAR, TINYAE_SCALING, TINYAE_SCORE, TINYAE_MODEL or
  // TINYAE_SUMMARY line (others are kept only for tail()); throws
  // tinyae::Error if such a line lacks a field. A model's log-variance,
  // scaling and score lines come before its TINYAE_MODEL line and are
  // attached to it there.
  void add_line(std::string_view line);
  // The last lines, indented, for a message about a firmware that stopped early.
  std::string tail() const;

  std::map<std::string, DeployModelResult> models;  // by name
  std::vector<std::string> order;                   // the models' names in the order the firmware ran them
  bool saw_summary = false;
  bool summary_ok = false;
  double max_abs_err = 0.0;
  double instructions_per_tick = 0.0;

 private:
  std::deque<std::string> last_lines_;  // at most kTailLines
  DeployModelResult pending_;           // log-variance, scaling and scores until the TINYAE_MODEL line
};

// Fills result's verdict and figures from `output` and the firmware's exit
// status, after checking that the firmware reported on every model of the
// manifest with the MACs the manifest gives. Throws tinyae::Error (quoting
// the firmware's last lines) if it did not.
void collect_firmware_results(const FirmwareOutput& output, int exit_status, const Manifest& manifest,
                              const std::string& manifest_path, DeployResult& result);

}  // namespace tinyae
