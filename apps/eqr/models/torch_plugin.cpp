// Loading the LibTorch plugin (models/backends.hpp) from beside the tool's executable, or from the library
// directory of an installation, on first use.
#include <dlfcn.h>

#include <array>
#include <filesystem>
#include <string>

#include "models/backends.hpp"
#include "eqr/config.hpp"

namespace eqr::experiments {

namespace {

struct Loaded {
  const TorchPlugin* plugin = nullptr;
  std::string error;
};

const Loaded& load() {
  static const Loaded loaded = [] {
    Loaded l;
#if defined(EQR_TOOL_TORCH_PLUGIN)
    const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe");
    const std::array candidates{exe.parent_path() / EQR_TOOL_TORCH_PLUGIN,
                                exe.parent_path() / EQR_TOOL_TORCH_PLUGIN_INSTALLED_DIR / EQR_TOOL_TORCH_PLUGIN};
    for (const auto& path : candidates) {
      if (!std::filesystem::exists(path)) continue;
      void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (handle == nullptr) {
        l.error = eqr::detail::concat("cannot load '", path.string(), "': ", ::dlerror());
        return l;
      }
      using Entry = const TorchPlugin* (*)();
      const auto entry = reinterpret_cast<Entry>(::dlsym(handle, "eqr_torch_backend_plugin"));
      if (entry == nullptr) {
        l.error = eqr::detail::concat("'", path.string(), "' has no eqr_torch_backend_plugin");
        return l;
      }
      l.plugin = entry();
      return l;
    }
    l.error = eqr::detail::concat("the LibTorch plugin ", EQR_TOOL_TORCH_PLUGIN, " is not beside the eqr executable");
#else
    l.error = "this eqr was built without LibTorch";
#endif
    return l;
  }();
  return loaded;
}

}  // namespace

const TorchPlugin* torch_plugin() { return load().plugin; }
std::string torch_plugin_error() { return load().error; }

}  // namespace eqr::experiments
