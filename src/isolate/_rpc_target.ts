/**
 * What a running connection and a one-shot program share: functions bound
 * by the host's declarations and typed interfaces over `call()`.
 *
 * @module
 */

import { checkInterface, type InterfaceSpec } from "../abi/define_interface.ts";
import {
  type AsyncFunctionsOf,
  parseSignature,
  type Signature,
  type SignatureRecord,
} from "../abi/signature.ts";
import {
  bindRpcFunction,
  type RpcFunction,
  type RpcMetadata,
  toPluginMetadata,
} from "./_rpc_protocol.ts";

/** A subprocess plugin that can be called: a connection or a one-shot program. */
export interface RpcTarget {
  /** The program. */
  readonly path: string;
  /** Its metadata (handshake or sidecar). */
  readonly metadata: RpcMetadata;
  /** Call a bound function. */
  call(fn: RpcFunction, args: readonly unknown[]): Promise<unknown>;
}

/**
 * Bind a function of a target by the host's declaration.
 *
 * @param target the plugin
 * @param sig the declaration, parsed or as text
 * @returns the function
 */
export function bindFunction(target: RpcTarget, sig: Signature | string): RpcFunction {
  return bindRpcFunction(
    target.metadata,
    typeof sig === "string" ? parseSignature(sig) : sig,
    target.path,
  );
}

/**
 * The typed functions of an interface: checked as a native plugin's are
 * (`checkInterface`), then one async function per declaration.
 *
 * @param target the plugin
 * @param spec the interface
 * @returns the functions, each returning a Promise
 */
export function useInterface<const F extends SignatureRecord>(
  target: RpcTarget,
  spec: InterfaceSpec<F>,
): AsyncFunctionsOf<F> {
  checkInterface(toPluginMetadata(target.metadata), spec, target.path);
  const out: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [name, sig] of spec.signatures) {
    const fn = bindFunction(target, sig);
    out[name] = (...args: unknown[]) => target.call(fn, args);
  }
  return Object.freeze(out) as unknown as AsyncFunctionsOf<F>;
}
