// Compute devices: parsing `--device cpu|cuda[:N]` and asking what the build and the machine offer.
#pragma once

#include <string>

namespace trifold::model {

enum class DeviceKind { Cpu, Cuda };

struct Device {
  DeviceKind kind = DeviceKind::Cpu;
  int index = 0;  // CUDA device ordinal
  std::string str() const;
};

// True when this binary was built with the CUDA backend.
bool cuda_built();
// Number of visible CUDA devices; 0 without CUDA in the build or without a usable driver/GPU.
int cuda_device_count();
// Why no CUDA device is usable ("cudaErrorInsufficientDriver: ..."), or "" when one is; for error messages.
std::string cuda_unavailable_reason();
// "NVIDIA H100 80GB HBM3 (sm_90, 79.1 GiB)"; throws Error for a bad ordinal.
std::string cuda_device_description(int index);

// Parses "cpu", "cuda" or "cuda:N". Asking for CUDA in a build without it, or on a machine without that
// device, is an InputError that says so: there is never a silent fallback to the CPU.
Device parse_device(const std::string& spec);
// The same without looking for the device (syntax and "CUDA in this build" only): for commands that run the
// network elsewhere, e.g. `trifold batch --submit slurm` on a login node without GPUs.
Device parse_device_spec(const std::string& spec);

}  // namespace trifold::model
