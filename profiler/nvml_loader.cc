//===- profiler/nvml_loader.cc - Clocks and power through NVML ------------===//
#include "profiler/nvml_loader.h"

#include <dlfcn.h>

#include <mutex>

namespace moeplan::profiler {
namespace {

// From nvml.h (C ABI, stable since NVML 2.285): return codes are ints, 0 is NVML_SUCCESS.
using NvmlDeviceHandle = void*;
constexpr int kNvmlSuccess = 0;
constexpr int kClockSm = 1;   // NVML_CLOCK_SM
constexpr int kClockMem = 2;  // NVML_CLOCK_MEM
constexpr int kTemperatureGpu = 0;

struct NvmlApi {
  int (*Init)() = nullptr;
  int (*HandleByPciBusId)(const char*, NvmlDeviceHandle*) = nullptr;
  int (*ClockInfo)(NvmlDeviceHandle, int, unsigned*) = nullptr;
  int (*MaxClockInfo)(NvmlDeviceHandle, int, unsigned*) = nullptr;
  int (*PowerUsage)(NvmlDeviceHandle, unsigned*) = nullptr;
  int (*PowerLimit)(NvmlDeviceHandle, unsigned*) = nullptr;
  int (*Temperature)(NvmlDeviceHandle, int, unsigned*) = nullptr;
  int (*ThrottleReasons)(NvmlDeviceHandle, unsigned long long*) = nullptr;
  int (*DriverVersion)(char*, unsigned) = nullptr;
  int (*Uuid)(NvmlDeviceHandle, char*, unsigned) = nullptr;
};

template <typename Fn>
void Bind(void* library, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(::dlsym(library, name));
}

// The loaded and initialised NVML, or null (never unloaded: process-wide).
const NvmlApi* Nvml() {
  static std::once_flag once;
  static NvmlApi* api = nullptr;
  std::call_once(once, [] {
    void* library = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return;
    auto* loaded = new NvmlApi();
    Bind(library, "nvmlInit_v2", loaded->Init);
    Bind(library, "nvmlDeviceGetHandleByPciBusId_v2", loaded->HandleByPciBusId);
    Bind(library, "nvmlDeviceGetClockInfo", loaded->ClockInfo);
    Bind(library, "nvmlDeviceGetMaxClockInfo", loaded->MaxClockInfo);
    Bind(library, "nvmlDeviceGetPowerUsage", loaded->PowerUsage);
    Bind(library, "nvmlDeviceGetEnforcedPowerLimit", loaded->PowerLimit);
    Bind(library, "nvmlDeviceGetTemperature", loaded->Temperature);
    Bind(library, "nvmlDeviceGetCurrentClocksEventReasons", loaded->ThrottleReasons);
    if (loaded->ThrottleReasons == nullptr) {
      Bind(library, "nvmlDeviceGetCurrentClocksThrottleReasons", loaded->ThrottleReasons);
    }
    Bind(library, "nvmlSystemGetDriverVersion", loaded->DriverVersion);
    Bind(library, "nvmlDeviceGetUUID", loaded->Uuid);
    if (loaded->Init == nullptr || loaded->HandleByPciBusId == nullptr ||
        loaded->Init() != kNvmlSuccess) {
      delete loaded;
      return;
    }
    api = loaded;
  });
  return api;
}

int64_t Mhz(int (*fn)(NvmlDeviceHandle, int, unsigned*), NvmlDeviceHandle device, int clock) {
  unsigned mhz = 0;
  if (fn == nullptr || fn(device, clock, &mhz) != kNvmlSuccess) return 0;
  return int64_t{mhz} * 1000000;
}

}  // namespace

std::unique_ptr<NvmlDevice> NvmlDevice::Open(const std::string& pci_bus_id) {
  const NvmlApi* api = Nvml();
  if (api == nullptr) return nullptr;
  NvmlDeviceHandle device = nullptr;
  if (api->HandleByPciBusId(pci_bus_id.c_str(), &device) != kNvmlSuccess) return nullptr;
  return std::unique_ptr<NvmlDevice>(new NvmlDevice(device));
}

DeviceState NvmlDevice::Sample() const {
  const NvmlApi& api = *Nvml();
  DeviceState state;
  state.sm_clock_hz = Mhz(api.ClockInfo, device_, kClockSm);
  state.memory_clock_hz = Mhz(api.ClockInfo, device_, kClockMem);
  unsigned milliwatts = 0;
  if (api.PowerUsage != nullptr && api.PowerUsage(device_, &milliwatts) == kNvmlSuccess) {
    state.power_w = milliwatts / 1000.0;
  }
  unsigned celsius = 0;
  if (api.Temperature != nullptr &&
      api.Temperature(device_, kTemperatureGpu, &celsius) == kNvmlSuccess) {
    state.temperature_c = static_cast<int>(celsius);
  }
  unsigned long long reasons = 0;
  if (api.ThrottleReasons != nullptr && api.ThrottleReasons(device_, &reasons) == kNvmlSuccess) {
    state.throttle_reasons = reasons;
  }
  return state;
}

void NvmlDevice::Describe(DeviceInfo& device) const {
  const NvmlApi& api = *Nvml();
  char text[96] = {};
  if (api.Uuid != nullptr && api.Uuid(device_, text, sizeof(text)) == kNvmlSuccess) {
    device.uuid = text;
  }
  char version[96] = {};
  if (api.DriverVersion != nullptr && api.DriverVersion(version, sizeof(version)) == kNvmlSuccess) {
    device.driver_version = version;
  }
  unsigned milliwatts = 0;
  if (api.PowerLimit != nullptr && api.PowerLimit(device_, &milliwatts) == kNvmlSuccess) {
    device.power_limit_w = milliwatts / 1000.0;
  }
  if (const int64_t sm = Mhz(api.MaxClockInfo, device_, kClockSm); sm > 0) {
    device.sm_clock_max_hz = sm;
  }
  if (const int64_t mem = Mhz(api.MaxClockInfo, device_, kClockMem); mem > 0) {
    device.memory_clock_max_hz = mem;
  }
  device.clock_source = "nvml";
}

}  // namespace moeplan::profiler
