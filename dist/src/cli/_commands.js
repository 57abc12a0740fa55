// Generated from src/cli/_commands.ts by tasks/dist.ts (deno task dist): do not edit.
export const COMMANDS = {
    new: {
        synopsis: "new NAME [--lang L]",
        summary: "create a starting plugin (C, C++, Rust, Go) and a host that loads it",
        run: (args, io) => import("./new_command.js").then((m) => m.newCommand(args, io)),
    },
    build: {
        synopsis: "build SRC... [-o OUT]",
        summary: "compile C or C++ sources into a plugin, stamping a build id",
        run: (args, io) => import("./build_command.js").then((m) => m.buildCommand(args, io)),
    },
    header: {
        synopsis: "header [DIR]",
        summary: "write plugboard.h (or another language's SDK) for other build systems",
        run: (args, io) => import("./header_command.js").then((m) => m.headerCommand(args, io)),
    },
    bindgen: {
        synopsis: "bindgen FILE [--out F]",
        summary: "write the TypeScript declarations of a plugin's interfaces",
        run: (args, io) => import("./bindgen_command.js").then((m) => m.bindgenCommand(args, io)),
    },
    inspect: {
        synopsis: "inspect FILE",
        summary: "show a plugin's metadata without running it",
        run: (args, io) => import("./inspect_command.js").then((m) => m.inspectCommand(args, io)),
    },
    describe: {
        synopsis: "describe PROGRAM [--run]",
        summary: "show a subprocess plugin's sidecar; --run asks the program, confined",
        run: (args, io) => import("./describe_command.js").then((m) => m.describeCommand(args, io)),
    },
    call: {
        synopsis: "call FILE FUNCTION [ARGS...]",
        summary: "load a plugin (or a library) and call one function",
        run: (args, io) => import("./call_command.js").then((m) => m.callCommand(args, io)),
    },
    trust: {
        synopsis: "trust FILE|DIR... [--lock F]",
        summary: "pin plugins in the lockfile; --publisher KEY: trust a publisher's key",
        run: (args, io) => import("./trust_command.js").then((m) => m.trustCommand(args, io)),
    },
    verify: {
        synopsis: "verify FILE|DIR... [--lock F]",
        summary: "check plugin files against the lockfile, reporting every difference",
        run: (args, io) => import("./verify_command.js").then((m) => m.verifyCommand(args, io)),
    },
    keygen: {
        synopsis: "keygen [--out KEY]",
        summary: "make a publisher's signing key (KEY, mode 0600) and KEY.pub",
        run: (args, io) => import("./keygen_command.js").then((m) => m.keygenCommand(args, io)),
    },
    sign: {
        synopsis: "sign FILE --key KEY",
        summary: "sign a plugin with a publisher's key, writing FILE.sig",
        run: (args, io) => import("./sign_command.js").then((m) => m.signCommand(args, io)),
    },
    probe: {
        synopsis: "probe FILE|DIR...",
        summary: "load plugins in a throwaway child; quarantine the ones that crash or hang",
        run: (args, io) => import("./probe_command.js").then((m) => m.probeCommand(args, io)),
    },
    quarantine: {
        synopsis: "quarantine list|clear [FILE...]",
        summary: "show quarantined plugins with the reason, or clear them",
        run: (args, io) => import("./quarantine_command.js").then((m) => m.quarantineCommand(args, io)),
    },
    calc: {
        synopsis: "calc [--dir DIR] EXPRESSION",
        summary: "evaluate arithmetic with calc.op/1 operator plugins",
        run: (args, io) => import("./calc_command.js").then((m) => m.calcCommand(args, io)),
    },
    pipe: {
        synopsis: "pipe [--dir DIR] TEXT",
        summary: "pass text through every text.processor/1 plugin, by file name",
        run: (args, io) => import("./pipe_command.js").then((m) => m.pipeCommand(args, io)),
    },
};
