import { pruneFloor } from './event-pruner';

describe('pruneFloor', () => {
  it("deletes up to what is sequenced, but never past a reader's hold", () => {
    expect(pruneFloor(100, [])).toBe(100);
    expect(pruneFloor(100, [40])).toBe(40);
    expect(pruneFloor(100, [90, 50])).toBe(50);
    expect(pruneFloor(100, [0])).toBe(0);
    expect(pruneFloor(100, [250])).toBe(100);
  });
});
