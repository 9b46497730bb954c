import assert from "node:assert/strict";
import { labelOf, subjectIdFromLabel, SubjectIds } from "./subject_ids.ts";

Deno.test("subjectIdFromLabel() reduces labels to the id alphabet", () => {
  const cases: [string, string, string | null][] = [
    ["ACME:alice@example.com", "", "ACME_alice@example.com"],
    ["GitHub:octo-cat", "gh.", "gh.GitHub_octo-cat"],
    ["Société Générale:Zoë Müller", "", "Societe_Generale_Zoe_Muller"],
    ["  spaced  out  ", "", "spaced_out"],
    ["...dots...", "", "dots"],
    ["名前", "", null],
    ["名前:bob", "", "bob"],
    ["x".repeat(300), "p-", "p-" + "x".repeat(126)],
  ];
  for (const [label, prefix, id] of cases) {
    assert.equal(subjectIdFromLabel(label, prefix), id, label);
  }
  assert.equal(labelOf({ issuer: null, accountName: "bob" }), "bob");
  assert.equal(labelOf({ issuer: "ACME", accountName: "bob" }), "ACME:bob");
});

Deno.test("SubjectIds reports a later label that reduces to a taken id as a collision", () => {
  const ids = new SubjectIds("u-");
  assert.deepEqual(ids.take("ACME:alice", "1"), { id: "u-ACME_alice", problem: null });
  assert.deepEqual(ids.take("ACME alice", "2"), {
    id: null,
    problem: "Id collision: line 1 already has u-ACME_alice",
  });
  assert.deepEqual(ids.take("ACME:Alice", "3.1"), { id: "u-ACME_Alice", problem: null });
  assert.deepEqual(ids.take("ACME:Alice", "4"), {
    id: null,
    problem: "Id collision: line 3.1 already has u-ACME_Alice",
  });
  assert.deepEqual(ids.take("★", "5"), {
    id: null,
    problem: "The label has no character usable in a subject id",
  });
});

Deno.test("SubjectIds refuses the label default (the assignment's seed) and ids starting with _", () => {
  const ids = new SubjectIds();
  assert.deepEqual(ids.take("default", "1"), {
    id: null,
    problem: 'The id "default" is reserved for the assignment\'s seed (use --prefix)',
  });
  assert.deepEqual(ids.take("  default  ", "2"), {
    id: null,
    problem: 'The id "default" is reserved for the assignment\'s seed (use --prefix)',
  });
  // Labels lose their leading `_`; a prefix is what could bring one.
  assert.deepEqual(ids.take("_index", "3"), { id: "index", problem: null });
  assert.deepEqual(new SubjectIds("_").take("index", "4"), {
    id: null,
    problem: 'The id "_index" must not start with _ (reserved)',
  });
  assert.deepEqual(new SubjectIds("u-").take("default", "5"), { id: "u-default", problem: null });
});
