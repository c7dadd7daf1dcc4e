/**
 * Reading the admin password for `loadstar serve --set-password`: from a
 * terminal without echo (asked twice), or the first line of stdin when it is
 * a pipe (`echo "$PASSWORD" | loadstar serve --set-password`).
 */
import { AdminError } from '../errors.ts';

export interface PasswordInput {
  stdin: NodeJS.ReadStream;
  /** Prompts go to stderr so stdout stays clean. */
  prompt: (text: string) => void;
}

export async function readNewPassword(input: PasswordInput): Promise<string> {
  if (!input.stdin.isTTY) return readFirstLine(input.stdin);
  const first = await readHidden(input, 'New admin password: ');
  const second = await readHidden(input, 'Repeat it: ');
  if (first !== second) throw new AdminError('LS_ERR_ADMIN_PASSWORD', 'the two passwords differ; nothing was changed.');
  return first;
}

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += chunk.toString();
    if (text.includes('\n') || text.length > 4096) break;
  }
  return text.split(/\r?\n/)[0]!;
}

/** Raw mode: characters are not echoed; Backspace edits, Enter ends, Ctrl-C / Ctrl-D abort. */
function readHidden(input: PasswordInput, prompt: string): Promise<string> {
  const stdin = input.stdin;
  input.prompt(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      input.prompt('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003' || ch === '\u0004') return finish(new AdminError('LS_ERR_ADMIN_PASSWORD', 'cancelled; nothing was changed.'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
