/**
 * Byte and hex helpers: fromHex checks and decodes in one pass; it must accept exactly what
 * /^0x(?:[0-9a-fA-F]{2})*$/ accepts and decode it as any hex decoder does.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { fromHex, toHex } from "../../src/core";

const HEX_RE = /^0x(?:[0-9a-fA-F]{2})*$/;

describe("fromHex", () => {
  describe("when given 0x-prefixed hex of whole bytes in either case", () => {
    it("decodes every byte value and random strings as Buffer does", () => {
      for (let b = 0; b < 256; b++) {
        const lower = "0x" + b.toString(16).padStart(2, "0");
        expect(Array.from(fromHex(lower))).to.deep.equal([b]);
        expect(Array.from(fromHex(lower.toUpperCase().replace("0X", "0x")))).to.deep.equal([b]);
      }
      for (const n of [0, 1, 20, 32, 33, 100]) {
        const bytes = randomBytes(n);
        const mixed = "0x" + [...bytes.toString("hex")].map((c, i) => (i % 3 ? c : c.toUpperCase())).join("");
        expect(Buffer.from(fromHex(mixed)).equals(bytes)).to.equal(true);
        expect(toHex(fromHex(toHex(bytes)))).to.equal(toHex(bytes));
      }
    });
  });
  describe("when the text is anything else", () => {
    it("throws a TypeError exactly where the hex pattern does not match", () => {
      const bad = [
        "",
        "0",
        "0x0",
        "0X00",
        "00",
        "x00",
        "0xg0",
        "0x0g",
        "0x0 ",
        " 0x00",
        "0x00\n",
        "0x\u0660\u0660",
        "0x\uff10\uff10",
        "0x00\u0000\u0000",
        "0x:0",
        "0x/0",
        "0x@0",
        "0x`0",
        "0xG0",
      ];
      for (const s of bad) {
        expect(HEX_RE.test(s), JSON.stringify(s)).to.equal(false);
        expect(() => fromHex(s), JSON.stringify(s)).to.throw(TypeError);
      }
      for (const v of [undefined, null, 12, ["0x00"]]) expect(() => fromHex(v as never)).to.throw(TypeError);
    });
    it("agrees with the hex pattern on every two-character body", () => {
      for (let a = 0; a < 256; a++) {
        for (const c of ["0", "f", "F", "g", "\u0100"]) {
          const s = "0x" + String.fromCharCode(a) + c;
          if (HEX_RE.test(s)) expect(fromHex(s)[0], JSON.stringify(s)).to.equal(parseInt(s.slice(2), 16));
          else expect(() => fromHex(s), JSON.stringify(s)).to.throw(TypeError);
        }
      }
    });
  });
});
