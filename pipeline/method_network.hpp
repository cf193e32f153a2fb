// The network method: A3M -> RoseTTAFold v1 e2e network (model/e2e) -> refined N/CA/C + O with predicted lDDT.
#pragma once

#include <memory>

#include "pipeline/method.hpp"

namespace trifold::pipeline {

// Needs settings.weights (a TriFold weight HDF5 from `trifold convert`; validated here: architecture, key set,
// shapes). L > 300 runs the reference's crop mode (model/e2e/crop.hpp). Method options (--method-option
// key=value): refine_iters=N (0 = the reference's early stop, N > 0 = exactly N refinement iterations),
// bfactor=100|1 (predicted lDDT scale in the B-factor column; 1 = the reference's 0–1),
// oxygen=reference|geometric (last residue's O). Throws InputError on bad values.
std::unique_ptr<Method> make_network_method(const Settings& settings);

}  // namespace trifold::pipeline
