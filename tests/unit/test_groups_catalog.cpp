// The group catalogue (groups/catalog.hpp): every offered name turns into the group of that name, the list
// is the one CLI.md promises, and an unknown name is refused with the whole list in the message.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "eqr/groups/catalog.hpp"

TEST_CASE("the catalogue offers C1, C2, C3, C4, C6, C8, C12, C16, D1, D2, D4, D8, in that order") {
  const std::vector<std::string> expected = {"C1", "C2", "C3", "C4", "C6", "C8", "C12", "C16", "D1", "D2", "D4", "D8"};
  CHECK(eqr::group_names() == expected);
  CHECK(eqr::offered_groups::size == expected.size());
  CHECK(eqr::group_names_joined() == "C1, C2, C3, C4, C6, C8, C12, C16, D1, D2, D4, D8");
}

TEST_CASE("visit_group turns every offered name into the group of that name") {
  for (const auto& name : eqr::group_names()) {
    CAPTURE(name);
    const std::string visited = eqr::visit_group(name, []<eqr::FiniteGroup G>() { return std::string(G::name()); });
    CHECK(visited == name);
    CHECK(eqr::offers_group(name));
  }
  // The order |G| comes with the type: D4 has 8 elements, C12 twelve.
  CHECK(eqr::visit_group("D4", []<eqr::FiniteGroup G>() { return G::order(); }) == 8);
  CHECK(eqr::visit_group("C12", []<eqr::FiniteGroup G>() { return G::order(); }) == 12);
  int calls = 0;
  eqr::visit_group("C3", [&]<eqr::FiniteGroup G>() { calls += G::order(); });
  CHECK(calls == 3);
}

TEST_CASE("an unknown group is refused with the offered list, and a sub-list offers only its groups") {
  CHECK_THROWS_WITH_AS(eqr::visit_group("C5", []<eqr::FiniteGroup G>() { return G::order(); }),
                       doctest::Contains("expected one of C1, C2, C3, C4, C6, C8, C12, C16, D1, D2, D4, D8, found 'C5'"),
                       eqr::value_error);
  CHECK(!eqr::offers_group("c4"));
  using Grid = eqr::type_list<eqr::C1, eqr::C2, eqr::C4, eqr::D1, eqr::D2, eqr::D4>;
  CHECK(eqr::offers_group<Grid>("D2"));
  CHECK(!eqr::offers_group<Grid>("C8"));
  CHECK_THROWS_WITH_AS(eqr::visit_group<Grid>("C8", []<eqr::FiniteGroup G>() { return G::order(); }),
                       doctest::Contains("expected one of C1, C2, C4, D1, D2, D4, found 'C8'"), eqr::value_error);
}
