// A cyclic group needs at least one element.
// expect-error: Cyclic<M> needs M >= 1
#include "eqr/groups/cyclic.hpp"

int main() { return eqr::Cyclic<0>::order(); }
