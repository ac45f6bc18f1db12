import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { settingsFromContext } from '../../cdk/stack';
import { defaultSettings } from '../../cdk/wiring';

const nodeWith = (context: Record<string, unknown>) => new App({ context }).node;

describe('settingsFromContext', () => {
  it('is the wiring defaults without context', () => {
    expect(settingsFromContext(nodeWith({}))).toEqual(defaultSettings);
  });

  it('applies sluice:<setting> context values (strings from -c, numbers from cdk.json)', () => {
    const settings = settingsFromContext(
      nodeWith({ 'sluice:maxRequestBytes': '1048576', 'sluice:writeConcurrency': 8, 'other:key': '1' }),
    );
    expect(settings).toEqual({ ...defaultSettings, maxRequestBytes: 1_048_576, writeConcurrency: 8 });
  });

  it('rejects a value that is not a positive integer', () => {
    expect(() => settingsFromContext(nodeWith({ 'sluice:maxChunksPerJob': 'many' }))).toThrow(
      /maxChunksPerJob/,
    );
  });
});
