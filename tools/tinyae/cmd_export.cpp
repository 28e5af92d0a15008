// tinyae export (being written)
#include "commands.h"
#include "tinyae/common.h"
namespace tinyae::cli {
int cmd_export(int, char**) { throw Error("tinyae export: not implemented yet"); }
}  // namespace tinyae::cli
