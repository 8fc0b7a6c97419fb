import { expect } from 'chai';
import { roundHalfEven } from '../../src/tensor/rounding';

describe('tensor/rounding', () => {
  it('rounds halfway cases to the even neighbour, like torch.round and Python 3, the rest to the nearest', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, 2.6, -2.6, 7].map(roundHalfEven)).to.deep.equal([0, 2, 2, -0, -2, -2, 2, 3, -3, 7]);
  });
});
