import assert from "node:assert/strict";
import { type ElfSymbol, readElf } from "../../src/elf/read_elf.ts";
import { type ErrorCode, LoadError, PluginError } from "../../src/errors/plugin_error.ts";
import { craft, fixtures, indexOf, layout, section } from "./_fixtures.ts";

const fx = await fixtures();
const HOST = Deno.build.arch;
/** A machine that is not the host's, with its e_machine value. */
const OTHER = HOST === "x86_64" ? { name: "aarch64", code: 183 } : { name: "x86_64", code: 62 };

/** Run `fn`, which must throw a LoadError, and return the error. */
function loadError(fn: () => unknown): LoadError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof LoadError, `expected a LoadError, got ${err}`);
    return err;
  }
  assert.fail("expected readElf() to throw");
}

function assertLoadError(
  fn: () => unknown,
  code: ErrorCode,
  parts: { expected?: string; found?: string | RegExp; hint?: RegExp } = {},
): LoadError {
  const err = loadError(fn);
  assert.equal(err.code, code, err.message);
  assert.equal(err.path, "plugin.so");
  if (parts.expected !== undefined) assert.equal(err.expected, parts.expected);
  if (typeof parts.found === "string") assert.equal(err.found, parts.found);
  else if (parts.found) assert.match(err.found, parts.found);
  if (parts.hint) assert.match(err.hint ?? "", parts.hint);
  assert.ok(err.message.startsWith('Cannot load plugin "plugin.so": '), err.message);
  return err;
}

function patch(bytes: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const copy = bytes.slice();
  edit(new DataView(copy.buffer));
  return copy;
}

function symbol(list: ElfSymbol[], name: string): ElfSymbol {
  const s = list.find((s) => s.name === name);
  assert.ok(s, `no symbol ${name} in ${list.map((s) => s.name).join(", ")}`);
  return s;
}

Deno.test("readElf() reads a shared library's header", () => {
  const info = readElf(fx.lib, "plugin.so");
  assert.equal(info.elfClass, 64);
  assert.equal(info.endian, "little");
  assert.equal(info.machine, HOST);
  assert.equal(info.machineCode, HOST === "x86_64" ? 62 : 183);
  assert.equal(info.type, "shared");
});

Deno.test("readElf() lists the dynamic symbols", () => {
  const { symbols } = readElf(fx.lib, "plugin.so");
  assert.deepEqual(
    { ...symbol(symbols, "greet"), value: 0, size: 0, section: 0 },
    {
      name: "greet",
      value: 0,
      size: 0,
      type: "func",
      binding: "global",
      visibility: "default",
      defined: true,
      section: 0,
    },
  );
  assert.ok(symbol(symbols, "greet").size > 0);
  // Defined in a real section (.text), not absolute (0xfff1) or undefined (0).
  assert.ok(symbol(symbols, "greet").section > 0 && symbol(symbols, "greet").section < 0xff00);
  const counter = symbol(symbols, "counter");
  assert.equal(counter.type, "object");
  assert.equal(counter.size, 4);
  assert.equal(counter.defined, true);
  assert.equal(symbol(symbols, "tls_counter").type, "tls");
  assert.equal(symbol(symbols, "maybe").binding, "weak");
  const getenv = symbol(symbols, "getenv");
  assert.equal(getenv.defined, false);
  assert.equal(getenv.binding, "global");
  assert.equal(symbols.find((s) => s.name === "hidden_fn"), undefined);
  assert.equal(symbols.find((s) => s.name === "helper"), undefined);
  assert.equal(symbols.find((s) => s.name === ""), undefined, "index 0 is skipped");
});

Deno.test("readElf() lists local symbols from .symtab", () => {
  const { localSymbols, symbols } = readElf(fx.lib, "plugin.so");
  const hidden = symbol(localSymbols, "hidden_fn");
  assert.equal(hidden.type, "func");
  assert.ok(hidden.visibility === "hidden" || hidden.binding === "local");
  const helper = symbol(localSymbols, "helper");
  assert.equal(helper.type, "func");
  assert.equal(helper.binding, "local");
  assert.equal(helper.defined, true);
  assert.equal(symbol(localSymbols, "counter").value, symbol(symbols, "counter").value);
  assert.ok(localSymbols.some((s) => s.type === "file"));
  assert.notEqual(localSymbols[0].name, "", "index 0 is skipped");
});

Deno.test("readElf() returns no local symbols for a stripped library", () => {
  const info = readElf(fx.libStripped, "plugin.so");
  assert.deepEqual(info.localSymbols, []);
  assert.equal(symbol(info.symbols, "greet").type, "func");
});

Deno.test("readElf() reads DT_NEEDED and DT_SONAME", () => {
  const info = readElf(fx.lib, "plugin.so");
  assert.ok(info.needed.includes("libc.so.6"), info.needed.join());
  assert.equal(info.soname, "libx.so.1");
  assert.equal(readElf(fx.libDefault, "plugin.so").soname, undefined);
});

Deno.test("readElf() reads the GNU build id", async (t) => {
  await t.step("a fixed id", () => {
    assert.equal(readElf(fx.lib, "plugin.so").buildId, "0123456789abcdef");
  });
  await t.step("the linker's default id, as readelf -n prints it", () => {
    const info = readElf(fx.libDefault, "plugin.so");
    assert.equal(info.buildId, fx.libDefaultBuildId);
    assert.match(info.buildId ?? "", /^[0-9a-f]{40}$/);
  });
});

Deno.test("readElf() reads a note in a custom section", () => {
  const info = readElf(fx.lib, "plugin.so");
  const record = new Uint8Array([
    ...[10, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0],
    ...new TextEncoder().encode("plugboard\0\0\0hello\0\0\0"),
  ]);
  const offset = indexOf(fx.lib, record);
  assert.ok(offset > 0);
  const notes = info.notes.filter((n) => n.owner === "plugboard");
  assert.equal(notes.length, 1);
  const note = notes[0];
  assert.equal(note.type, 1);
  assert.deepEqual([...note.desc], [...new TextEncoder().encode("hello\0")]);
  assert.equal(note.offset, offset);
  assert.equal(note.size, 32);
  assert.equal(note.vaddr, symbol(info.localSymbols, "n").value);
  assert.equal(note.vaddr, section(fx.lib, ".note.plugboard").addr);
  const gnu = info.notes.find((n) => n.owner === "GNU" && n.type === 3);
  assert.ok(gnu);
  assert.equal(gnu.size, 12 + 4 + 8);
});

Deno.test("readElf() reads a library without section headers", async (t) => {
  const cases = [
    { name: "DT_GNU_HASH", bytes: fx.lib },
    { name: "DT_HASH", bytes: fx.libSysvHash },
  ];
  for (const { name, bytes } of cases) {
    await t.step(name, () => {
      const full = readElf(bytes, "plugin.so");
      const bare = readElf(
        patch(bytes, (v) => {
          v.setBigUint64(40, 0n, true); // e_shoff
          v.setUint16(60, 0, true); // e_shnum
          v.setUint16(62, 0, true); // e_shstrndx
        }),
        "plugin.so",
      );
      assert.ok(full.symbols.length > 5);
      assert.deepEqual(bare.symbols, full.symbols);
      assert.deepEqual(bare.localSymbols, []);
      assert.deepEqual(bare.needed, full.needed);
      assert.equal(bare.soname, full.soname);
      assert.equal(bare.buildId, full.buildId);
      assert.deepEqual(bare.notes, full.notes);
    });
  }
});

Deno.test("readElf() rejects files that are not ELF", async (t) => {
  const cases: { name: string; bytes: Uint8Array; found: string }[] = [
    { name: "a text file", bytes: fx.text, found: 'text beginning "hello wo"' },
    { name: "an empty file", bytes: fx.empty, found: "empty file" },
    { name: "three bytes", bytes: fx.lib.subarray(0, 3), found: "only 3 bytes: 7f 45 4c" },
    {
      name: "binary data",
      bytes: new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
      found: "binary data beginning 00 01 02 03 04 05 06 07",
    },
    {
      name: "a Windows DLL",
      bytes: new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0]),
      found: 'a Windows PE file (begins "MZ")',
    },
    {
      name: "a static archive",
      bytes: new TextEncoder().encode("!<arch>\n/               0           0"),
      found: 'a static library archive (begins "!<arch>")',
    },
  ];
  for (const { name, bytes, found } of cases) {
    await t.step(name, () => {
      const err = assertLoadError(() => readElf(bytes, "plugin.so"), "NOT_ELF", { found });
      assert.match(err.hint ?? "", /cc -shared -fPIC/);
      assert.match(err.message, /: not an ELF file: expected an ELF shared library/);
    });
  }
});

Deno.test("readElf() rejects a truncated library", async (t) => {
  await t.step("first 40 bytes", () => {
    assertLoadError(() => readElf(fx.lib.subarray(0, 40), "plugin.so"), "TRUNCATED", {
      expected: "64 bytes",
      found: "40 bytes",
    });
  });
  await t.step("first 2000 bytes", () => {
    const err = assertLoadError(() => readElf(fx.lib.subarray(0, 2000), "plugin.so"), "TRUNCATED", {
      expected: `${fx.lib.length} bytes`,
      found: "2000 bytes",
    });
    assert.match(err.message, /section header table/);
  });
  await t.step("all but the last byte", () => {
    assertLoadError(
      () => readElf(fx.lib.subarray(0, fx.lib.length - 1), "plugin.so"),
      "TRUNCATED",
      {
        expected: `${fx.lib.length} bytes`,
        found: `${fx.lib.length - 1} bytes`,
      },
    );
  });
  await t.step("a section that ends past the end", () => {
    const symtab = section(fx.lib, ".symtab");
    const bytes = patch(fx.lib, (v) => {
      v.setBigUint64(symtab.headerOffset + 24, BigInt(fx.lib.length - 10), true);
    });
    assertLoadError(() => readElf(bytes, "plugin.so"), "TRUNCATED", {
      expected: `${fx.lib.length - 10 + symtab.size} bytes`,
      found: `${fx.lib.length} bytes`,
    });
  });
});

Deno.test("readElf() rejects a 32-bit library", async (t) => {
  await t.step(fx.obj32Built ? "built with cc -m32" : "a hand-made ELFCLASS32 header", () => {
    const err = assertLoadError(() => readElf(fx.obj32, "plugin.so"), "WRONG_ELF_CLASS", {
      expected: "ELFCLASS64 (64-bit)",
      found: "ELFCLASS32 (32-bit)",
    });
    assert.match(err.hint ?? "", /-m32/);
  });
  await t.step("a 32-bit header cut short", () => {
    assertLoadError(() => readElf(fx.obj32.subarray(0, 40), "plugin.so"), "TRUNCATED", {
      expected: "52 bytes",
      found: "40 bytes",
    });
  });
  await t.step("an invalid class", () => {
    assertLoadError(
      () => readElf(patch(fx.lib, (v) => v.setUint8(4, 0)), "plugin.so"),
      "WRONG_ELF_CLASS",
      {
        found: "invalid ELF class 0",
      },
    );
  });
});

Deno.test("readElf() rejects another architecture", async (t) => {
  await t.step(`e_machine patched to ${OTHER.code}`, () => {
    const bytes = patch(fx.lib, (v) => v.setUint16(18, OTHER.code, true));
    const err = assertLoadError(() => readElf(bytes, "plugin.so"), "WRONG_ARCH", {
      expected: HOST,
      found: OTHER.name,
    });
    assert.equal(
      err.hint,
      `build the plugin for this machine's architecture, ${HOST}, or use a cross-compiler matching the host`,
    );
  });
  await t.step("an unknown machine", () => {
    const bytes = patch(fx.lib, (v) => v.setUint16(18, 4242, true));
    assertLoadError(() => readElf(bytes, "plugin.so"), "WRONG_ARCH", { found: "unknown(4242)" });
  });
  await t.step("the machine option", () => {
    assertLoadError(() => readElf(fx.lib, "plugin.so", { machine: OTHER.name }), "WRONG_ARCH", {
      expected: OTHER.name,
      found: HOST,
    });
    const bytes = patch(fx.lib, (v) => v.setUint16(18, OTHER.code, true));
    assert.equal(readElf(bytes, "plugin.so", { machine: OTHER.name }).machine, OTHER.name);
  });
  await t.step("big-endian", () => {
    assertLoadError(
      () => readElf(patch(fx.lib, (v) => v.setUint8(5, 2)), "plugin.so"),
      "WRONG_ARCH",
      {
        expected: "little-endian (ELFDATA2LSB)",
        found: "big-endian (ELFDATA2MSB)",
      },
    );
  });
  await t.step("a FreeBSD OS ABI", () => {
    assertLoadError(
      () => readElf(patch(fx.lib, (v) => v.setUint8(7, 9)), "plugin.so"),
      "WRONG_ARCH",
      {
        found: "EI_OSABI 9 (FreeBSD)",
      },
    );
  });
});

Deno.test("readElf() rejects an unknown machine option", async (t) => {
  for (const machine of ["pdp11", "i386", "arm64", ""]) {
    await t.step(JSON.stringify(machine), () => {
      assert.throws(
        () => readElf(fx.lib, "plugin.so", { machine }),
        (err) => err instanceof PluginError && err.code === "INVALID_ARGUMENT",
      );
    });
  }
});

Deno.test("readElf() rejects executables and object files", async (t) => {
  const cases = [
    { name: "a -no-pie executable", bytes: fx.exe, found: "an executable", hint: /-shared/ },
    {
      name: "a PIE executable",
      bytes: fx.pie,
      found: "a position-independent executable (PIE)",
      hint: /-shared/,
    },
    {
      name: "a static PIE (DF_1_PIE, no PT_INTERP)",
      bytes: fx.staticPie,
      found: "a position-independent executable (PIE)",
      hint: /-shared/,
    },
    {
      name: "an object file",
      bytes: fx.obj,
      found: "an object file (.o)",
      hint: /link it with -shared/,
    },
  ];
  for (const { name, bytes, found, hint } of cases) {
    await t.step({
      name,
      ignore: bytes === undefined,
      fn: () => {
        assertLoadError(() => readElf(bytes!, "plugin.so"), "NOT_SHARED_OBJECT", {
          expected: "a shared library (.so)",
          found,
          hint,
        });
      },
    });
  }
});

Deno.test("readElf() reads executables and object files when asked to", async (t) => {
  const options = { requireSharedObject: false };
  await t.step("executable", () => {
    const info = readElf(fx.exe, "plugin.so", options);
    assert.equal(info.type, "executable");
    assert.ok(info.needed.includes("libc.so.6"));
  });
  await t.step("PIE", () => {
    assert.equal(readElf(fx.pie, "plugin.so", options).type, "pie");
  });
  await t.step("object file: symbols from .symtab, notes from sections", () => {
    const info = readElf(fx.obj, "plugin.so", options);
    assert.equal(info.type, "relocatable");
    assert.deepEqual(info.symbols, []);
    assert.deepEqual(info.needed, []);
    assert.equal(symbol(info.localSymbols, "greet").binding, "global");
    assert.equal(symbol(info.localSymbols, "getenv").defined, false);
    const note = info.notes.find((n) => n.owner === "plugboard");
    assert.ok(note);
    assert.equal(note.vaddr, -1);
    assert.equal(note.offset, section(fx.obj, ".note.plugboard").offset);
    assert.equal(new TextDecoder().decode(note.desc), "hello\0");
  });
});

Deno.test("readElf() accepts the system's libc.so.6, which has PT_INTERP, as glibc does", async () => {
  const out = await new Deno.Command("cc", { args: ["-print-file-name=libc.so.6"] }).output();
  const path = new TextDecoder().decode(out.stdout).trim();
  const bytes = await Deno.readFile(path);
  const info = readElf(bytes, path);
  assert.equal(info.soname, "libc.so.6");
  assert.equal(info.type, "shared");
  assert.ok(info.symbols.some((s) => s.name === "printf" && s.defined));
});

Deno.test("readElf() rejects malformed tables", async (t) => {
  const l = layout(fx.lib);
  const dynsym = section(fx.lib, ".dynsym");
  const dynamic = section(fx.lib, ".dynamic");
  const note = indexOf(fx.lib, new TextEncoder().encode("plugboard\0")) - 12;
  const dynEntry = (tag: number) => {
    const v = new DataView(fx.lib.buffer, fx.lib.byteOffset);
    for (let p = dynamic.offset; p < dynamic.offset + dynamic.size; p += 16) {
      if (v.getUint32(p, true) === tag) return p;
    }
    throw new Error(`no dynamic tag ${tag}`);
  };
  const cases: {
    name: string;
    edit: (v: DataView) => void;
    code?: ErrorCode;
    expected?: string;
    found?: string | RegExp;
  }[] = [
    { name: "e_shentsize", edit: (v) => v.setUint16(58, 12, true), expected: "64", found: "12" },
    { name: "e_phentsize", edit: (v) => v.setUint16(54, 32, true), expected: "56", found: "32" },
    {
      name: "e_shstrndx out of range",
      edit: (v) => v.setUint16(62, l.sections.length + 5, true),
      found: `${l.sections.length + 5}`,
    },
    {
      name: "e_shoff absurd",
      edit: (v) => v.setBigUint64(40, 0xffff_ffff_ffffn, true),
      found: /^offset \d+, size \d+$/,
    },
    {
      name: "dynamic symbol name out of its string table",
      edit: (v) => v.setUint32(dynsym.offset + 24, 0xfffffff0, true),
      found: `${0xfffffff0}`,
    },
    {
      name: ".dynsym sh_link to a non-string table",
      edit: (v) => v.setUint32(dynsym.headerOffset + 40, 1, true),
      found: /^section 1 of type 7$/,
    },
    {
      name: ".dynsym sh_entsize",
      edit: (v) => v.setBigUint64(dynsym.headerOffset + 56, 16n, true),
      expected: "24",
      found: "16",
    },
    {
      name: "DT_STRTAB outside every PT_LOAD",
      edit: (v) => v.setBigUint64(dynEntry(5) + 8, 0x7000_0000n, true),
      // Refused where the dynamic linker would follow it: with its size, DT_STRSZ.
      found: "0x70000000 + 194 bytes",
    },
    {
      name: "DT_NEEDED beyond DT_STRSZ",
      edit: (v) => v.setBigUint64(dynEntry(1) + 8, 0x10_0000n, true),
      found: `${0x10_0000}`,
    },
    {
      name: "note descsz too large",
      edit: (v) => v.setUint32(note + 4, 0x7fff_ffff, true),
      found: `namesz 10 and descsz ${0x7fff_ffff}`,
    },
    {
      name: "e_ident padding",
      edit: (v) => v.setUint8(12, 1),
    },
  ];
  for (const { name, edit, code = "MALFORMED", expected, found } of cases) {
    await t.step(name, () => {
      const err = assertLoadError(() => readElf(patch(fx.lib, edit), "plugin.so"), code, {
        expected,
        found,
      });
      assert.match(err.message, /: malformed ELF file \(/);
      assert.equal(err.cause, undefined, "caught by a check, not by the safety net");
    });
  }
});

Deno.test("readElf() bounds the work hostile input can cause", async (t) => {
  const PT_LOAD = 1, PT_NOTE = 4, SHT_SYMTAB = 2, SHT_STRTAB = 3;
  // A hang guard, not a performance claim (deno task bench measures speed):
  // work that grew with the square of these counts would take minutes.
  const timed = <T>(fn: () => T): T => {
    const start = performance.now();
    try {
      return fn();
    } finally {
      const ms = performance.now() - start;
      assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms: does the work grow faster than the input?`);
    }
  };

  await t.step("5,000 PT_NOTE segments over the same 1,000 notes", () => {
    const { bytes } = craft(12_000, (data) => ({
      segments: Array.from({ length: 5_000 }, () => ({
        type: PT_NOTE,
        offset: data,
        filesz: 12_000,
      })),
      sections: [],
    }));
    const err = loadError(() => timed(() => readElf(bytes, "plugin.so")));
    assert.equal(err.code, "MALFORMED");
    assert.match(err.found, /overlapping/);
  });

  await t.step("30,000 PT_LOAD segments and 30,000 notes", () => {
    const n = 30_000;
    const { bytes } = craft(12 * n, (data) => ({
      segments: [
        ...Array.from({ length: n }, (_, i) => ({
          type: PT_LOAD,
          offset: data + 12 * i,
          vaddr: 0x10_0000 + 12 * i,
          filesz: 12,
        })),
        { type: PT_NOTE, offset: data, filesz: 12 * n },
      ],
      sections: [],
    }));
    const info = timed(() => readElf(bytes, "plugin.so"));
    assert.equal(info.notes.length, n);
    const first = info.notes[0];
    assert.equal(info.notes[n - 1].vaddr - first.vaddr, 12 * (n - 1));
    assert.equal(first.vaddr, 0x10_0000);
  });

  await t.step("20,000 symbols naming overlapping 4 KB strings", () => {
    const count = 20_000;
    const strings = 8192;
    const { bytes, view, data } = craft(count * 24 + strings, (data) => ({
      segments: [],
      sections: [
        { type: 0, offset: 0, size: 0 },
        {
          type: SHT_SYMTAB,
          offset: data,
          size: count * 24,
          link: 2,
          entsize: 24,
        },
        { type: SHT_STRTAB, offset: data + count * 24, size: strings },
      ],
    }));
    bytes.fill(0x61, data + count * 24, bytes.length - 1);
    for (let i = 1; i < count; i++) view.setUint32(data + i * 24, i % 4000, true);
    const err = loadError(() => timed(() => readElf(bytes, "plugin.so")));
    assert.equal(err.code, "MALFORMED");
    assert.match(err.message, /string tables/);
  });

  await t.step("a name without a NUL stops at 4096 bytes", () => {
    const { bytes, view, data } = craft(48 + 10_000, (data) => ({
      segments: [],
      sections: [
        { type: 0, offset: 0, size: 0 },
        { type: SHT_SYMTAB, offset: data, size: 48, link: 2, entsize: 24 },
        { type: SHT_STRTAB, offset: data + 48, size: 10_000 },
      ],
    }));
    bytes.fill(0x62, data + 48);
    view.setUint32(data + 24, 1, true);
    const info = readElf(bytes, "plugin.so");
    assert.equal(info.localSymbols[0].name, "b".repeat(4096));
  });
});

Deno.test("readElf() refuses what would crash the dynamic linker inside dlopen", async (t) => {
  // Each was seen to kill a process in raw Deno.dlopen (the hostile-input
  // suite's malformed-elf class): the reader must refuse it first.
  const base = fx.lib;
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const phoff = Number(view(base).getBigUint64(32, true));
  const phnum = view(base).getUint16(56, true);
  const phdr = (type: number) => {
    for (let i = 0; i < phnum; i++) {
      const at = phoff + 56 * i;
      if (view(base).getUint32(at, true) === type) return at;
    }
    throw new Error(`no program header of type ${type}`);
  };
  const cases: [string, (v: DataView) => void, RegExp][] = [
    [
      "a PT_DYNAMIC address of all ones",
      (v) => v.setBigUint64(phdr(2) + 16, 0xffff_ffff_ffff_ffffn, true),
      /^malformed ELF file \((PT_DYNAMIC|PT_LOAD #\d)\): /,
    ],
    [
      "a PT_LOAD address past user space",
      (v) => v.setBigUint64(phdr(1) + 16, 0x7fff_ffff_ffff_0000n, true),
      /^malformed ELF file \(PT_LOAD #1\): expected addresses inside user space/,
    ],
    [
      "a PT_LOAD whose memory is smaller than its file part",
      (v) => v.setBigUint64(phdr(1) + 40, 1n, true),
      /^malformed ELF file \(PT_LOAD #1\): expected addresses inside user space, and a memory size at least its file size/,
    ],
  ];
  for (const [name, edit, what] of cases) {
    await t.step(name, () => {
      const bytes = base.slice();
      edit(view(bytes));
      const err = loadError(() => readElf(bytes, "plugin.so"));
      assert.equal(err.code, "MALFORMED");
      assert.match(err.summary.replace(/^Cannot load plugin "plugin.so": /, ""), what);
    });
  }
});

Deno.test("readElf() refuses a dynamic tag past the processor range", () => {
  const bytes = fx.lib.slice();
  const v = new DataView(bytes.buffer);
  const phoff = Number(v.getBigUint64(32, true));
  const phnum = v.getUint16(56, true);
  let dynamic = -1;
  for (let i = 0; i < phnum; i++) {
    if (v.getUint32(phoff + 56 * i, true) === 2) {
      dynamic = Number(v.getBigUint64(phoff + 56 * i + 8, true));
    }
  }
  // The second entry's tag: the value the hostile-input suite's crash had.
  v.setBigUint64(dynamic + 16, 2590790815n, true);
  const err = loadError(() => readElf(bytes, "plugin.so"));
  assert.equal(err.code, "MALFORMED");
  assert.equal(err.found, "0x9a6c549f");
  assert.equal(err.expected, "a tag from 0 to 0x7fffffff");
});

Deno.test("readElf() refuses dynamic tables and exported functions the dynamic linker would trip on", async (t) => {
  // Each was found by the hostile-input suite to crash a process (in
  // dlopen, dlclose or the first call), while the file otherwise parsed.
  const greeter = Deno.readFileSync(new URL("../../build/greeter.so", import.meta.url));
  const v = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const phoff = Number(v(greeter).getBigUint64(32, true));
  const phnum = v(greeter).getUint16(56, true);
  let dynamic = -1;
  let dynsize = 0;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + 56 * i;
    if (v(greeter).getUint32(at, true) === 2) {
      dynamic = Number(v(greeter).getBigUint64(at + 8, true));
      dynsize = Number(v(greeter).getBigUint64(at + 32, true));
    }
  }
  const entry = (b: Uint8Array, tag: number) => {
    for (let p = dynamic; p < dynamic + dynsize; p += 16) {
      if (v(b).getBigUint64(p, true) === BigInt(tag)) return p;
    }
    throw new Error(`no dynamic entry ${tag}`);
  };
  const cases: [string, (b: Uint8Array) => void, string, string][] = [
    [
      "DT_STRSZ replaced by an unknown tag",
      (b) => v(b).setBigUint64(entry(b, 10), 0xffn, true),
      "its size entry (DT_STRSZ) beside it",
      "none",
    ],
    [
      "DT_FINI_ARRAYSZ not a multiple of 8",
      (b) => v(b).setBigUint64(entry(b, 28) + 8, 12n, true),
      "a multiple of 8 bytes",
      "12 bytes",
    ],
  ];
  for (const [name, edit, expected, found] of cases) {
    await t.step(name, () => {
      const bytes = greeter.slice();
      edit(bytes);
      const err = loadError(() => readElf(bytes, "plugin.so"));
      assert.equal(err.code, "MALFORMED");
      assert.deepEqual([err.expected, err.found], [expected, found]);
    });
  }
  await t.step("an exported function outside the executable segments", () => {
    // greet__into's st_value set to 0x7fffffff, as in the suite's case.
    const bytes = greeter.slice();
    const shoff = Number(v(bytes).getBigUint64(40, true));
    const shnum = v(bytes).getUint16(60, true);
    const section = (i: number) => shoff + 64 * i;
    let sym = -1;
    for (let i = 0; i < shnum && sym < 0; i++) {
      if (v(bytes).getUint32(section(i) + 4, true) !== 11) continue; // SHT_DYNSYM
      const off = Number(v(bytes).getBigUint64(section(i) + 24, true));
      const size = Number(v(bytes).getBigUint64(section(i) + 32, true));
      const strtab = section(v(bytes).getUint32(section(i) + 40, true));
      const strOff = Number(v(bytes).getBigUint64(strtab + 24, true));
      for (let p = off; p < off + size; p += 24) {
        const name = strOff + v(bytes).getUint32(p, true);
        const end = bytes.indexOf(0, name);
        if (new TextDecoder().decode(bytes.subarray(name, end)) === "greet__into") sym = p;
      }
    }
    assert.ok(sym > 0, "greet__into is exported");
    v(bytes).setBigUint64(sym + 8, 0x7fff_ffffn, true);
    const err = loadError(() => readElf(bytes, "plugin.so"));
    assert.equal(err.code, "MALFORMED");
    assert.deepEqual([err.expected, err.found], [
      "an exported function inside an executable segment",
      "address 0x7fffffff",
    ]);
  });
});
