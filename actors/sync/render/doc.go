// Package render turns a source product into the listing a store should
// show, by a sync pipeline's rules: the text of each field picked along a
// locale fallback chain, prices converted, marked up and rounded in exact
// decimal arithmetic on minor units, stock reduced by a reserve, and
// descriptions sanitised for publishing (bluemonday's UGC policy).
// A product that cannot be rendered fails on its own with an error that
// says why; the other products of the run are not affected.
package render
