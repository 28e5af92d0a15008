// The flags of data-parallel training (tinyae/distributed.h) and the local
// launcher behind --nproc, which starts the ranks as processes of this same
// binary on 127.0.0.1.
#pragma once

#include <cxxopts.hpp>

#include "tinyae/distributed.h"

namespace tinyae::cli {

// Adds --world-size, --rank, --master, --nproc and --collective-timeout.
void add_distributed_options(cxxopts::Options& options);

// The DistributedOptions of one rank (disabled without --world-size).
// --rank and --master need --world-size; --nproc excludes --world-size and
// --rank. UsageError naming the flag otherwise.
DistributedOptions parse_distributed_options(const cxxopts::ParseResult& args);

// --nproc N given: starts N ranks (`tinyae train` with the same arguments,
// --nproc replaced by --world-size N --rank R --master HOST:PORT, and
// --threads cores / N unless given), forwards each line they print with a
// "[rank R] " prefix, and waits for all. Returns 0 if every rank succeeded;
// throws tinyae::Error naming the first rank that failed otherwise (the
// others stop by themselves within the collective timeout, or are killed
// after it). Returns -1 without --nproc.
int launch_ranks_if_asked(int argc, char** argv, const cxxopts::ParseResult& args);

}  // namespace tinyae::cli
