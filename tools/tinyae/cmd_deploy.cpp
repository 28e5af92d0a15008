// tinyae deploy (being written)
#include "commands.h"
#include "tinyae/common.h"
namespace tinyae::cli {
int cmd_deploy(int, char**) { throw Error("tinyae deploy: not implemented yet"); }
}  // namespace tinyae::cli
