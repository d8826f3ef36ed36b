import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nodeAt, pathSteps, SchemaError, toStructural, type JsonSchema } from "./structural.ts";

describe("toStructural", () => {
  const cases: Record<string, { input: JsonSchema; want: JsonSchema }> = {
    "drops $schema and additionalProperties beside properties": {
      input: { $schema: "x", type: "object", properties: { a: { type: "string" } }, additionalProperties: false },
      want: { type: "object", properties: { a: { type: "string" } } },
    },
    "an open map of anything preserves unknown fields": {
      input: { type: "object", additionalProperties: {} },
      want: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
    "a typed map keeps additionalProperties and drops propertyNames": {
      input: { type: "object", propertyNames: { type: "string" }, additionalProperties: { type: "string" } },
      want: { type: "object", additionalProperties: { type: "string" } },
    },
    "an integer-or-string union becomes int-or-string with the string pattern": {
      input: { anyOf: [{ type: "integer", minimum: -Number.MAX_SAFE_INTEGER }, { type: "string", pattern: "^[0-9]+m$" }] },
      want: { "x-kubernetes-int-or-string": true, pattern: "^[0-9]+m$" },
    },
    "zod's safe-integer bounds are dropped, real ones kept": {
      input: { type: "integer", minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description: "d" },
      want: { description: "d", type: "integer" },
    },
    "real bounds are kept": { input: { type: "integer", minimum: 1, maximum: 256 }, want: { type: "integer", minimum: 1, maximum: 256 } },
    "$refs are inlined": {
      input: {
        type: "object",
        properties: { a: { $ref: "#/$defs/A" }, b: { type: "array", items: { $ref: "#/$defs/A" } } },
        $defs: { A: { type: "object", properties: { x: { type: "string" } }, additionalProperties: false } },
      },
      want: {
        type: "object",
        properties: {
          a: { type: "object", properties: { x: { type: "string" } } },
          b: { type: "array", items: { type: "object", properties: { x: { type: "string" } } } },
        },
      },
    },
    "markers and defaults pass through": {
      input: { type: "array", items: { type: "object", properties: { type: { type: "string" } }, required: ["type"] }, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"], default: [] },
      want: { type: "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"], default: [], items: { type: "object", required: ["type"], properties: { type: { type: "string" } } } },
    },
  };
  for (const [name, tc] of Object.entries(cases)) {
    it(name, () => assert.deepEqual(toStructural(tc.input), tc.want));
  }

  const errors: Record<string, { input: JsonSchema; message: RegExp }> = {
    "other unions": { input: { type: "object", properties: { a: { anyOf: [{ type: "string" }, { type: "boolean" }] } } }, message: /^\.a: anyOf cannot be expressed/ },
    "recursive refs": { input: { $ref: "#/$defs/A", $defs: { A: { type: "object", properties: { self: { $ref: "#/$defs/A" } } } } }, message: /recursive \$ref/ },
    "dangling refs": { input: { type: "object", properties: { a: { $ref: "#/$defs/Missing" } } }, message: /cannot resolve/ },
  };
  for (const [name, tc] of Object.entries(errors)) {
    it(`refuses ${name}`, () => assert.throws(() => toStructural(tc.input), (e: unknown) => e instanceof SchemaError && tc.message.test(e.message)));
  }
});

describe("override paths", () => {
  const schema: JsonSchema = {
    type: "object",
    properties: { spec: { type: "object", properties: { files: { type: "array", items: { type: "object", properties: {} } } } } },
  };
  it("split into steps", () => assert.deepEqual(pathSteps("spec.files[*]"), ["spec", "files", "[*]"]));
  it("the root is the empty path", () => assert.equal(nodeAt(schema, ""), schema));
  it("follow properties and items", () => assert.deepEqual(nodeAt(schema, "spec.files[*]"), { type: "object", properties: {} }));
  it("fail when the path does not exist", () => assert.throws(() => nodeAt(schema, "spec.file[*]"), /no file/));
});
