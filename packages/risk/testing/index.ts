// packages/risk test support (not part of the package's API, not in the image): change builders and
// the table of rule cases that the package's tests, the search index's tests and the pipeline test
// all run.
export * from './changes.js';
export * from './rule-cases.js';
