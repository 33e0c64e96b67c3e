import type { Db } from './db/types.js';
import { createLeadOrder } from './store/leadOrders.js';
import { countSellers, createSeller } from './store/sellers.js';

export interface DemoAccount {
  sellerId: string;
  leadOrderId: string;
  apiKey: string;
}

/** Quick start: an empty database gets one seller with one lead order, so curl works at once. */
export async function seedDemoIfEmpty(db: Db): Promise<DemoAccount | null> {
  return db.transaction(async (tx) => {
    if ((await countSellers(tx)) > 0) return null;
    const { seller, apiKey } = await createSeller(tx, 'Demo Seller');
    const leadOrder = await createLeadOrder(tx, { sellerId: seller.id, name: 'Demo Lead Order' });
    return { sellerId: seller.id, leadOrderId: leadOrder.id, apiKey };
  });
}
