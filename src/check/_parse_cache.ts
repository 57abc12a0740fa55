/**
 * Files parsed before, by SHA-256: the same bytes always parse to the same
 * format and metadata, so checking a file again (a reload, an open per call,
 * a host's lazy load, the isolation child after its host) skips the parsers.
 * Only successes are kept, at most 64 files and 16 MiB of file bytes (the
 * parsed ELF holds views into them), least recently used first out.
 *
 * @module
 */

import { type PluginMetadata, readMetadata } from "../abi/read_metadata.ts";
import type { ReadFile } from "../file/read_file.ts";
import { type ParsedFormat, parseFormat, sidecarFormat } from "./formats.ts";

interface Parsed {
  format: ParsedFormat;
  metadata: PluginMetadata;
  size: number;
}

const parsed = new Map<string, Parsed>();
let parsedBytes = 0;
const MAX_FILES = 64;
const MAX_BYTES = 16 << 20;

/**
 * The format and metadata of a file's bytes (and of its metadata sidecar,
 * for an executable), from the cache or parsed now.
 *
 * @param file the file as read
 * @param sidecar the executable's sidecar as read, if it has one
 * @returns the parsed format and metadata
 * @throws {LoadError} from the format reader or the metadata reader
 */
export function parseChecked(
  file: ReadFile,
  sidecar?: ReadFile,
): { format: ParsedFormat; metadata: PluginMetadata } {
  // A sidecar format names the sidecar's path in its messages, so copies of
  // the same program and sidecar in two directories are two entries.
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
      if (parsed.size <= MAX_FILES && parsedBytes <= MAX_BYTES) break;
      parsed.delete(key);
      parsedBytes -= entry.size;
    }
  }
  return { format, metadata };
}
