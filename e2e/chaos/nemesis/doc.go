// Package nemesis plans and injects the chaos suite's faults.
//
// Schedule is pure: a seed and a Config give the same list of faults every
// time, so a failing run is replayed by its printed seed. Faults that aim
// at "the leader" resolve their target when they start (the only input
// from the running cluster). Run applies faults one after another through
// a Target, recovering each (heal, restart, resume) before the next.
package nemesis
