import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { expandTemplate, scanTemplate, templateProblem, type TemplateVars } from "./template.ts";

const blob: TemplateVars = { item: "scans/Page 01.png", index: 7, name: "Page 01.png", blobName: "scans/Page 01.png", blobUrl: "http://h/acct/c/scans/Page%2001.png?sig=x" };

describe("expandTemplate", () => {
  const cases: Record<string, { template: string; vars?: TemplateVars; want: string }> = {
    "every placeholder": { template: "ocr.sh {blobUrl} {name} {index} {blobName}", want: "ocr.sh http://h/acct/c/scans/Page%2001.png?sig=x Page 01.png 7 scans/Page 01.png" },
    "{} and {item} are the item": { template: "echo {} {item}", want: "echo scans/Page 01.png scans/Page 01.png" },
    "shell ${VAR} is left alone": { template: '/bin/sh -c "echo ${AZ_BATCH_TASK_ID} {index}"', want: '/bin/sh -c "echo ${AZ_BATCH_TASK_ID} 7"' },
    "awk braces are left alone": { template: "awk '{print $1}' {name}", want: "awk '{print $1}' Page 01.png" },
    "doubled braces are literal": { template: "echo {{index}} {index}", want: "echo {index} 7" },
    "a range item": { template: "simulate --seed {}", vars: { item: "42", index: 0, name: "42" }, want: "simulate --seed 42" },
    "a blob placeholder without a blob stays as written": { template: "get {blobUrl}", vars: { item: "42", index: 0, name: "42" }, want: "get {blobUrl}" },
  };
  for (const [name, tc] of Object.entries(cases)) {
    test(name, () => assert.equal(expandTemplate(tc.template, tc.vars ?? blob), tc.want));
  }
});

describe("scanTemplate", () => {
  const cases: Record<string, { template: string; used: string[]; unknown: string[] }> = {
    "placeholders in use": { template: "a {} {name} ${X} {{y}}", used: ["", "name"], unknown: [] },
    "a typo": { template: "ocr {nmae} {index}", used: ["index"], unknown: ["{nmae}"] },
    "an odd run of braces ends in a placeholder": { template: "{{{nmae}", used: [], unknown: ["{nmae}"] },
    "an even run is literal": { template: "{{nmae}}", used: [], unknown: [] },
    "the shell's after $": { template: "${nmae} $HOME {print $1}", used: [], unknown: [] },
  };
  for (const [name, tc] of Object.entries(cases)) {
    test(name, () => {
      const got = scanTemplate(tc.template);
      assert.deepEqual([...got.used], tc.used);
      assert.deepEqual(got.unknown, tc.unknown);
    });
  }
  test("templateProblem names the first unknown placeholder", () => {
    assert.equal(templateProblem("ok {index}"), undefined);
    assert.match(templateProblem("x {nmae} {foo}") ?? "", /^unknown placeholder \{nmae\} \(known: \{\}, \{item\}, \{index\}, \{name\}, \{blobUrl\}, \{blobName\}; write \{\{ and \}\} for literal braces\)$/);
  });
});
