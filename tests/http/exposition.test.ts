import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { escapeHelp, escapeLabelValue, formatValue, renderExposition, sanitizeMetricName } from "../../lib/http/index.ts";

describe("renderExposition()", () => {
  it("writes HELP, TYPE and samples in the 0.0.4 text format (golden)", () => {
    const text = renderExposition([
      { name: "node_load1", help: "1m load average.", type: "gauge", samples: [{ value: 0.25 }] },
      {
        name: "disco_packets_total",
        help: "Datagrams received.",
        type: "counter",
        samples: [
          { labels: { task: "beacons", reason: "malformed" }, value: 3 },
          { labels: { task: "discovery" }, value: 0 },
        ],
      },
      { name: "empty", help: "no samples: left out", type: "gauge", samples: [] },
    ]);
    assert.equal(
      text,
      [
        "# HELP node_load1 1m load average.",
        "# TYPE node_load1 gauge",
        "node_load1 0.25",
        "# HELP disco_packets_total Datagrams received.",
        "# TYPE disco_packets_total counter",
        'disco_packets_total{task="beacons",reason="malformed"} 3',
        'disco_packets_total{task="discovery"} 0',
        "",
      ].join("\n"),
    );
  });

  it("escapes label values and help texts, so hostile names cannot add lines", () => {
    const text = renderExposition([
      { name: "disco_host_up", help: "a \\ b\nc", type: "gauge", samples: [{ labels: { host: 'evil"} 1\nfake_metric 2\\' }, value: 1 }] },
    ]);
    assert.equal(text, '# HELP disco_host_up a \\\\ b\\nc\n# TYPE disco_host_up gauge\ndisco_host_up{host="evil\\"} 1\\nfake_metric 2\\\\"} 1\n');
    assert.equal(text.split("\n").length, 4);
  });

  it("refuses a counter without _total, bad names and a family given twice", () => {
    assert.throws(() => renderExposition([{ name: "disco_packets", help: "", type: "counter", samples: [{ value: 1 }] }]), RangeError);
    assert.throws(() => renderExposition([{ name: "1bad", help: "", type: "gauge", samples: [{ value: 1 }] }]), RangeError);
    assert.throws(() => renderExposition([{ name: "ok", help: "", type: "gauge", samples: [{ labels: { "bad-label": "x" }, value: 1 }] }]), RangeError);
    assert.throws(() => renderExposition([{ name: "ok", help: "", type: "gauge", samples: [{ labels: { __name__: "x" }, value: 1 }] }]), RangeError);
    const f = { name: "twice", help: "", type: "gauge" as const, samples: [{ value: 1 }] };
    assert.throws(() => renderExposition([f, f]), RangeError);
  });

  it("formatValue() writes what Go's ParseFloat reads", () => {
    assert.equal(formatValue(NaN), "NaN");
    assert.equal(formatValue(Infinity), "+Inf");
    assert.equal(formatValue(-Infinity), "-Inf");
    assert.equal(formatValue(1e21), "1e+21");
    assert.equal(formatValue(-0.5), "-0.5");
  });

  it("sanitizeMetricName() makes any text a name part", () => {
    assert.equal(sanitizeMetricName("cpu.temp-1"), "cpu_temp_1");
    assert.equal(sanitizeMetricName("1st"), "_1st");
    assert.equal(sanitizeMetricName(""), "_");
  });

  it("property: any label value stays on its line and unescapes back", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (value, help) => {
        const text = renderExposition([{ name: "x", help, type: "gauge", samples: [{ labels: { l: value }, value: 1 }] }]);
        const lines = text.split("\n");
        assert.equal(lines.length, 4);
        const m = /^x\{l="((?:[^"\\]|\\.)*)"\} 1$/.exec(lines[2]!);
        assert.ok(m, lines[2]!);
        const back = m[1]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
        assert.equal(back, value);
        assert.equal(escapeLabelValue(value).includes("\n"), false);
        assert.equal(escapeHelp(help).includes("\n"), false);
      }),
    );
  });
});
