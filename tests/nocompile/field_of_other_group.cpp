// A representation of one group cannot be a field of a feature map of another group.
// expect-error: every field must be a representation of the group G
#include "eqr/reps/reps.hpp"

int main() { return eqr::FieldType<eqr::C4, eqr::Regular<eqr::D4>>::channels(); }
