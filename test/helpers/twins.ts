// The scanner/batcher twins a test runs against: TSNATS_NATIVE=off runs the TypeScript twin
// only; otherwise the native twin must load (a missing addon fails the suite, never skips it).
import { nativeImplementation, tsImplementation } from '../../src/native/load.js';
import type { Implementation } from '../../src/protocol/implementation.js';

export const NATIVE_OFF = process.env.TSNATS_NATIVE === 'off';
export const TWINS: Implementation[] = NATIVE_OFF ? [tsImplementation] : [tsImplementation, nativeImplementation()];
