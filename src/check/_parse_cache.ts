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
import { type ParsedFormat, parseFormat } from "./formats.ts";

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
 * The format and metadata of a file's bytes, from the cache or parsed now.
 *
 * @param file the file as read
 * @returns the parsed format and metadata
 * @throws {LoadError} from the format reader or the metadata reader
 */
export function parseChecked(file: ReadFile): { format: ParsedFormat; metadata: PluginMetadata } {
  const hit = parsed.get(file.sha256);
  if (hit) {
    parsed.delete(file.sha256);
    parsed.set(file.sha256, hit);
    return hit;
  }
  const format = parseFormat(file.bytes, file.path);
  const metadata = readMetadata(format, file.path, format);
  const size = file.bytes.length;
  if (size <= MAX_BYTES) {
    parsed.set(file.sha256, { format, metadata, size });
    parsedBytes += size;
    for (const [key, entry] of parsed) {
      if (parsed.size <= MAX_FILES && parsedBytes <= MAX_BYTES) break;
      parsed.delete(key);
      parsedBytes -= entry.size;
    }
  }
  return { format, metadata };
}
