/** Saves text or bytes as a file through the browser's download (a Blob URL; nothing leaves the page). */
export function saveFile(fileName: string, data: string | Uint8Array, type = 'text/plain'): void {
  const blob = new Blob([typeof data === 'string' ? data : new Uint8Array(data)], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** base64 → bytes (certCaExport's DER). */
export function fromBase64(data: string): Uint8Array {
  const raw = atob(data);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** Reads a chosen file as text. */
export function readTextFile(file: File): Promise<string> {
  return file.text();
}
