/**
 * SHA-256 of bytes, the hash plugboard pins plugins by.
 *
 * @module
 */

import { createHash } from "node:crypto";

/**
 * SHA-256 of bytes, hex, at native speed.
 *
 * @param bytes the data
 * @returns the hex digest
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
