/**
 * An ArrayBuffer whose contents were transferred away. It passes eventfold's checks (it is an ArrayBuffer) but the
 * storage engine refuses to clone it: a way to make a real IndexedDB write fail in a test.
 */
export function detachedBuffer(): ArrayBuffer {
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
  return buffer;
}
