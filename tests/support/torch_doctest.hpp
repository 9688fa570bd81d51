// LibTorch and doctest in one test file. LibTorch's headers pull in glog, whose CHECK, CHECK_EQ, … macros
// would silently replace doctest's assertions (a failing CHECK then aborts the process instead of being
// reported). This header includes LibTorch first, removes glog's assertion macros and then includes
// doctest, so in torch tests CHECK is doctest's. Include it instead of <doctest/doctest.h> and before any
// other header that could include LibTorch.
#pragma once

#include <torch/torch.h>

#undef CHECK
#undef CHECK_EQ
#undef CHECK_NE
#undef CHECK_LE
#undef CHECK_LT
#undef CHECK_GE
#undef CHECK_GT
#undef CHECK_NOTNULL
#undef CHECK_STREQ
#undef CHECK_STRNE

#include <doctest/doctest.h>
