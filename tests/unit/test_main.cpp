// The one definition of the unit-test module; every *_test.cpp links into unit_tests.
#define BOOST_TEST_MODULE weave_unit_tests
#include <boost/test/unit_test.hpp>
