// tinyae eval (being written)
#include "commands.h"
#include "tinyae/common.h"
namespace tinyae::cli {
int cmd_eval(int, char**) { throw Error("tinyae eval: not implemented yet"); }
}  // namespace tinyae::cli
