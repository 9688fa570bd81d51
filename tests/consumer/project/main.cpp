// A consumer of the installed package: includes the umbrella header and checks one group fact at run time.
#include <eqr/eqr.hpp>

int main() { return eqr::C4::order() == 4 && eqr::D4::order() == 8 ? 0 : 1; }
