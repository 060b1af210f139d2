// Package simkit is what every platform simulator shares, so that each
// simulator holds only its platform's rules (signing checks, error codes
// and messages, pagination, the JSON it writes).
//
// A simulator reads time from a Clock: Wall in production and demos, a
// FakeClock that moves only when a test advances it everywhere else, so no
// test sleeps to see a limit refill or a fault window close. Its call-rate
// limit is a Bucket (rate and burst, changeable while serving, reporting
// the remaining/limit/reset a platform's quota headers would). Gateway
// bundles the clock, the bucket and the sdk/faultinject injector that sits
// in front of the simulator's handler, wired once here. A Fence models a
// store with conditional writes: it refuses a write whose fencing token
// (FencingHeader) is below one it accepted, and counts both by token.
//
// Catalogues are generated, not stored: Generate builds entry i from a
// Draw seeded by (seed, i), so the same seed gives the same titles,
// prices and SKUs field for field, and entry i is the same whatever the
// catalogue's size. Draw, Pick, Combinations and Decimal are the pieces
// the simulators' generators are made of.
//
// simkit imports only the standard library and sdk/faultinject: it is part
// of the SDK, usable by third-party plugin authors for their own
// simulators.
package simkit
