// Generated from src/check/_parse_cache.ts by tasks/dist.ts (deno task dist): do not edit.
import { readMetadata } from "../abi/read_metadata.js";
import { parseFormat, sidecarFormat } from "./formats.js";
export var parseChecked = (function parseChecked(file, sidecar) {
    const key = sidecar ? `${file.sha256}+${sidecar.sha256}+${sidecar.path}` : file.sha256;
    const hit = parsed.get(key);
    if (hit) {
        parsed.delete(key);
        parsed.set(key, hit);
        return hit;
    }
    const format = sidecar ? sidecarFormat(file.path, sidecar) : parseFormat(file.bytes, file.path);
    const metadata = format.metadata ?? readMetadata(format, file.path, format);
    const size = file.bytes.length;
    if (size <= MAX_BYTES) {
        parsed.set(key, { format, metadata, size });
        parsedBytes += size;
        for (const [key, entry] of parsed) {
            if (parsed.size <= MAX_FILES && parsedBytes <= MAX_BYTES)
                break;
            parsed.delete(key);
            parsedBytes -= entry.size;
        }
    }
    return { format, metadata };
});
const parsed = new Map();
let parsedBytes = 0;
const MAX_FILES = 64;
const MAX_BYTES = 16 << 20;
