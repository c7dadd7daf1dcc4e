/**
 * Builds every request/response method of the control contract from the
 * channel map (CONTROL_METHODS), around one `call` function. Used by the
 * preload (call = ipcRenderer.invoke on the method's channel) and by main's
 * client of the engine host (call = a request over the MessagePort), so a
 * method added to the contract reaches both without another line here.
 */
import { CONTROL_METHODS } from '../proxy/control/contract.ts';
import type { ControlMethodName, ControlMethods, Result } from '../proxy/control/contract.ts';

export type MethodCall = (method: ControlMethodName, channel: string, args: unknown[]) => Promise<Result<unknown>>;

export function buildControlMethods(call: MethodCall): ControlMethods {
  const methods: Record<string, (...args: unknown[]) => Promise<Result<unknown>>> = {};
  for (const [method, facts] of Object.entries(CONTROL_METHODS)) {
    methods[method] = (...args: unknown[]) => call(method as ControlMethodName, facts.channel, args);
  }
  // One entry per ControlMethodName (CONTROL_METHODS `satisfies` that record); the type test checks the shape.
  return methods as unknown as ControlMethods;
}
