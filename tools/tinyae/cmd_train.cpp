// tinyae train (being written)
#include "commands.h"
#include "tinyae/common.h"
namespace tinyae::cli {
int cmd_train(int, char**) { throw Error("tinyae train: not implemented yet"); }
}  // namespace tinyae::cli
