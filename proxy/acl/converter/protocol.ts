/**
 * Protocol decoders HAProxy has and Loadstar does not evaluate yet (MQTT,
 * protocol buffers / gRPC): their rows and argument checks only. FIX is fix.ts.
 */
import type { SampleArg } from '../types.ts';
import type { ConverterDefinition } from './define.ts';
import { converter } from './define.ts';
import { strOf as argStr } from '../validators.ts';

const PBUF_TYPES = ['int32', 'uint32', 'sint32', 'int64', 'uint64', 'sint64', 'bool', 'enum',
  'fixed32', 'sfixed32', 'float', 'fixed64', 'sfixed64', 'double'];

function protobufType(a: SampleArg[]): string | undefined {
  const t = argStr(a[1]);
  return t !== undefined && !PBUF_TYPES.includes(t) ? `Wrong protocol buffer type '${t}'` : undefined;
}

export const PROTOCOL_CONVERTERS: readonly ConverterDefinition[] = [
  converter(['mqtt_field_value', 'str,str', 'bin', 'str']),
  converter(['mqtt_is_valid', '', 'bin', 'bool']),
  converter(['protobuf', 'pbuf[,str]', 'bin', 'bin'], undefined, protobufType),
  converter(['ungrpc', 'pbuf[,str]', 'bin', 'bin'], undefined, protobufType),
];
