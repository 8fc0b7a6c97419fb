/** The lazy command list: what `bnext --help` prints without loading a command is the command's own. */
import { expect } from 'chai';
import { commands } from '../../src/cli/commands/index';

describe('cli/commands', () => {
  it('each entry loads the command of its name, whose summary it repeats', async () => {
    for (const entry of commands) {
      const command = await entry.load();
      expect(command.name, entry.name).to.equal(entry.name);
      expect(command.summary, entry.name).to.equal(entry.summary);
    }
    expect(new Set(commands.map((c) => c.name)).size).to.equal(commands.length);
  });
});
