import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkMarkdown, driftedFromFixture, modulesOf } from './readme-check.mjs';

const block = (language: string, body: string) => `\`\`\`${language}\n${body}\n\`\`\`\n`;

describe('the README check', () => {
  const dirs: string[] = [];
  const scratch = () => {
    // Inside the repository, where the modules resolve `react` and `vite/client` as the README's do.
    const parent = fileURLToPath(new URL('../.scratch/', import.meta.url));
    mkdirSync(parent, { recursive: true });
    const dir = mkdtempSync(join(parent, 'readme-test-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('makes a module of each block, and a file of each `// name.ts` line, leaving other languages alone', () => {
    const markdown = [
      block('ts', "// a.ts\nexport const a = 1;\n// b.ts\nimport { a } from './a.ts';"),
      block('sh', 'npm test'),
      block('tsx', 'const x = <p />;'),
    ].join('\n');
    const modules = modulesOf(markdown);
    expect([...modules.keys()]).toEqual(['a.ts', 'b.ts', 'block-2.tsx']);
    expect(modules.get('b.ts')).toContain("import { a } from './a.ts';");
    expect(modules.get('block-2.tsx')).toMatch(/^\/\/ README\.md, line \d+\n/);
  });

  it('refuses two blocks that write the same file', () => {
    expect(() => modulesOf(block('ts', '// a.ts\n1;') + block('ts', '// a.ts\n2;'))).toThrow('two blocks write a.ts');
  });

  it('passes blocks that use the API as it is, and fails one that does not', () => {
    const entity = "// counter.ts\nimport { defineEntity } from 'eventfold';\nexport const counter = defineEntity<number, { type: 'add' }, { type: 'added' }>({ initialState: () => 0, decide: () => [{ type: 'added' }], evolve: (n) => n + 1 });";
    expect(checkMarkdown(block('ts', entity), scratch())).toMatchObject({ ok: true, modules: 1 });
    const drifted = checkMarkdown(block('ts', `${entity}\ncounter.decide({ type: 'remove' }, 0);`), scratch());
    expect(drifted.ok).toBe(false);
    expect(drifted.output).toContain('counter.ts');
  });

  it('names the blocks that are no longer the fixture app files word for word', () => {
    const app = scratch();
    mkdirSync(join(app, 'src'));
    writeFileSync(join(app, 'src', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(app, 'src', 'b.ts'), 'export const b = 2;\n');
    const markdown = block('ts', '// src/a.ts\nexport const a = 1;') + block('ts', '// src/b.ts\nexport const b = 3;') + block('ts', '// c.ts\n0;');
    expect(driftedFromFixture(modulesOf(markdown), app)).toEqual(['src/b.ts']);
    writeFileSync(join(app, 'src', 'c.tsx'), 'export {};\n');
    expect(driftedFromFixture(modulesOf(markdown), app)).toEqual(['src/c.tsx', 'src/b.ts']);
  });

  it('refuses a TypeScript or JavaScript block under a tag it would not check', () => {
    expect(() => modulesOf(block('typescript', 'const a: number = 1;'))).toThrow('tagged typescript');
    expect(() => modulesOf(block('js', 'const a = 1;'))).toThrow('tagged js');
  });
});
