import { describe, expect, it } from '@jest/globals';
import { extractFiles, parseCodeBlocks } from '../src/llm/files.ts';

const limits = { maxFiles: 200, maxTotalBytes: 1_000_000, reserved: ['reply.md', 'metadata.json'] };
const names = (reply: string) => parseCodeBlocks(reply).map((block) => block.name);

describe('code blocks named by path', () => {
  it.each([
    ['### src/app.ts\n```ts\nx\n```', 'src/app.ts'],
    ['## `src/app.ts`\n```ts\nx\n```', 'src/app.ts'],
    ['**src/app.ts**\n\n```ts\nx\n```', 'src/app.ts'],
    ['**src/app.ts**:\n```ts\nx\n```', 'src/app.ts'],
    ['1. **File: src/app.ts**\n```ts\nx\n```', 'src/app.ts'],
    ['File: src/app.ts\n```ts\nx\n```', 'src/app.ts'],
    ['Filename: `app.py`\n```python\nx\n```', 'app.py'],
    ['`src/app.ts`\n```ts\nx\n```', 'src/app.ts'],
    ['### src/app.ts (updated)\n```ts\nx\n```', 'src/app.ts'],
    ['### Dockerfile\n```dockerfile\nFROM node\n```', 'Dockerfile'],
    ['### .env.example\n```\nA=1\n```', '.env.example'],
    ['Create `src/app.ts` with:\n```ts\nx\n```', 'src/app.ts'],
    ['```ts src/app.ts\nx\n```', 'src/app.ts'],
    ['```src/app.ts\nx\n```', 'src/app.ts'],
    ['```ts:src/app.ts\nx\n```', 'src/app.ts'],
    ['```path=src/app.ts\nx\n```', 'src/app.ts'],
    ['```ts file=src/app.ts\nx\n```', 'src/app.ts'],
    ['```ts title="src/app.ts"\nx\n```', 'src/app.ts'],
    ['```ts\n// filepath: src/app.ts\nx\n```', 'src/app.ts'],
    ['```html\n<!-- file: index.html -->\nx\n```', 'index.html'],
    ['### ignored.ts\n```ts path=wins.ts\nx\n```', 'wins.ts'],
  ])('finds the name in %j', (reply, expected) => {
    expect(names(reply)).toEqual([expected]);
  });

  it.each([
    ['### Summary\n```ts\nx\n```'],
    ['**Note:**\n```ts\nx\n```'],
    ['Install the dependencies:\n```bash\nnpm i\n```'],
    ['Update `package.json` by running:\n```bash\nnpm pkg set type=module\n```'],
    ['### src/app.ts\n\n\nSome text between.\n```ts\nx\n```'],
    ['```ts {1,3}\nx\n```'],
    ['```ts\nx\n```'],
  ])('finds no name in %j', (reply) => {
    expect(names(reply)).toEqual([undefined]);
  });

  it('keeps content exactly, nested markdown fences included', () => {
    const reply = [
      '### README.md',
      '```markdown',
      '# App',
      '```bash',
      'npm start',
      '```',
      'Done.',
      '```',
      '',
      '### a.txt',
      '````',
      '```',
      'inner',
      '```',
      '````',
      '',
      '  ### indented.ts',
      '   ```ts',
      '   const x = 1;',
      '     nested();',
      '   ```',
    ].join('\n');
    const blocks = parseCodeBlocks(reply);
    expect(blocks.map((b) => [b.name, b.content, b.closed])).toEqual([
      ['README.md', '# App\n```bash\nnpm start\n```\nDone.\n', true],
      ['a.txt', '```\ninner\n```\n', true],
      ['indented.ts', 'const x = 1;\n  nested();\n', true],
    ]);
  });

  it('accepts CRLF replies and empty blocks', () => {
    const { files } = extractFiles(
      '### a.ts\r\n```ts\r\nx\r\n```\r\n### b.ts\r\n```\r\n```',
      limits,
    );
    expect(files).toEqual([
      { path: 'a.ts', content: 'x\n', bytes: 2 },
      { path: 'b.ts', content: '', bytes: 0 },
    ]);
  });
});

describe('checking the names', () => {
  it('refuses unsafe names with a reason and keeps the rest', () => {
    const reply = [
      '### ../../etc/passwd\n```\nx\n```',
      '### /etc/shadow\n```\nx\n```',
      '```txt path=C:\\windows\\x.txt\nx\n```',
      '```txt path=ok/./x.txt\nx\n```',
      '```txt path=metadata.json\nx\n```',
      '```txt path=./fine.txt\nx\n```',
    ].join('\n\n');
    const { files, rejected } = extractFiles(reply, limits);
    expect(files.map((f) => f.path)).toEqual(['fine.txt']);
    expect(rejected.map((r) => r.name)).toEqual([
      '../../etc/passwd',
      '/etc/shadow',
      'C:\\windows\\x.txt',
      'ok/./x.txt',
      'metadata.json',
    ]);
    expect(rejected.every((r) => r.reason.length > 0)).toBe(true);
  });

  it('refuses a file that clashes with a folder', () => {
    const reply = '### src\n```txt path=src\nx\n```\n### src/a.ts\n```ts path=src/a.ts\ny\n```';
    const { files, rejected } = extractFiles(reply, limits);
    expect(files.map((f) => f.path)).toEqual(['src']);
    expect(rejected).toEqual([{ name: 'src/a.ts', reason: 'conflicts with file "src"' }]);
  });

  it('caps the total size', () => {
    const reply = '```txt path=a.txt\n12345\n```\n```txt path=b.txt\n12345\n```';
    const { files, rejected } = extractFiles(reply, { ...limits, maxTotalBytes: 8 });
    expect(files.map((f) => f.path)).toEqual(['a.txt']);
    expect(rejected[0]?.reason).toContain('8 bytes');
  });

  it('caps the name length', () => {
    const long = `${'a'.repeat(60)}.ts`;
    const { rejected } = extractFiles(`\`\`\`ts path=${long}\nx\n\`\`\``, {
      ...limits,
      maxNameLength: 50,
    });
    expect(rejected).toEqual([{ name: long, reason: 'name longer than 50 characters' }]);
  });
});
