// Package quotabench measures how much of a platform's quota the platform
// actor uses, and how many of its calls the platform refuses, against each
// marketplace simulator and the sandbox, for every platform burst, every
// way the agent can be told the limit wrongly and every way a platform
// can say a call was over it; and against the Shopify simulator's leaky
// bucket of query points, which the actor spends by cost. Everything runs
// in process under testing/synctest, so a minute of demand takes a second
// or two; the figures are counted on the simulators' side. Nothing here is
// built into the agent; the package is its tests.
package quotabench
