/** Element ids of wizard fields: `backends.0.servers.1.port` → `f-backends-0-servers-1-port`. */
export function fieldId(field: string): string {
  return `f-${field.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** aria-describedby for a field's control: its hint and its error when present. */
export function describedBy(field: string, error: string | undefined, hint = false): string | undefined {
  const id = fieldId(field);
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-err` : ''].filter((x) => x !== '');
  return ids.length ? ids.join(' ') : undefined;
}
