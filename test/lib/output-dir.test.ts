import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MlopsValidationError } from '../../lib/errors';
import { OUTPUT_MARKER, writeOutputDir } from '../../lib/output-dir';

describe('writeOutputDir', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mlops-output-dir-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const report = (staging: string) => fs.writeFileSync(path.join(staging, 'report.json'), '{"ours":true}');
  const recognise = (d: string) => fs.readdirSync(d).every((n) => n === 'report.json') && fs.readFileSync(path.join(d, 'report.json'), 'utf8').includes('"ours"');

  it('with a recogniser, leaves the marker out and replaces what it recognises', () => {
    const out = path.join(dir, 'audit');
    writeOutputDir(out, { contents: 'a report', recognise }, report);
    expect(fs.readdirSync(out)).toEqual(['report.json']);
    writeOutputDir(out, { contents: 'a report', recognise }, report);
    expect(fs.readdirSync(out)).toEqual(['report.json']);
    expect(fs.readdirSync(dir)).toEqual(['audit']);
  });

  it('refuses a folder its recogniser does not recognise, and leaves it; a failed write leaves the previous output', () => {
    const out = path.join(dir, 'audit');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'report.json'), '{"theirs":true}');
    expect(() => writeOutputDir(out, { contents: 'a report', recognise }, report)).toThrow(MlopsValidationError);
    expect(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).toBe('{"theirs":true}');

    const ours = path.join(dir, 'cdk.out');
    writeOutputDir(ours, { contents: 'a cloud assembly' }, (s) => fs.writeFileSync(path.join(s, 'manifest.json'), '1'));
    expect(() => writeOutputDir(ours, { contents: 'a cloud assembly' }, () => { throw new Error('synth failed'); })).toThrow('synth failed');
    expect(fs.readdirSync(ours).sort()).toEqual([OUTPUT_MARKER, 'manifest.json']);
    expect(fs.readdirSync(dir).sort()).toEqual(['audit', 'cdk.out']);
  });
});
