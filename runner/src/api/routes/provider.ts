/** Provider routes (provider key): sellers and lead intake. */
import { createSeller } from '../../store/sellers.js';
import { acceptLead, changeMeeting } from '../intake.js';
import { defineRoute } from '../route.js';
import {
  IdParams,
  LeadAccepted,
  LeadIntakeBody,
  MeetingBody,
  SellerCreateBody,
  SellerCreated,
} from '../schemas.js';
import { errorResponses } from './errorDocs.js';

export const createSellerRoute = defineRoute({
  method: 'post',
  path: '/v1/sellers',
  auth: 'provider',
  tag: 'Provider',
  summary: 'Create a seller and its API key (shown once)',
  body: SellerCreateBody,
  responses: {
    201: { description: 'Created', schema: SellerCreated },
    ...errorResponses(400, 401, 403),
  },
  async handler({ body, deps, res }) {
    const { seller, apiKey } = await createSeller(deps.db, body.name);
    res.status(201).json({ id: seller.id, name: seller.name, apiKey });
  },
});

export const createLeadRoute = defineRoute({
  method: 'post',
  path: '/v1/leads',
  auth: 'provider',
  tag: 'Provider',
  summary: "Assign a lead to a seller's lead order: stored and queued for every eligible endpoint",
  body: LeadIntakeBody,
  responses: {
    202: { description: 'Accepted; deliveries queued', schema: LeadAccepted },
    ...errorResponses(400, 401, 403, 404, 409, 413),
  },
  async handler({ body, deps, res }) {
    const result = await acceptLead(deps, { leadOrderId: body.leadOrderId, lead: body.lead });
    res.status(202).json(result);
  },
});

export const changeMeetingRoute = defineRoute({
  method: 'post',
  path: '/v1/leads/:id/meeting',
  auth: 'provider',
  tag: 'Provider',
  summary: 'Availability change: store the meeting time and send lead_update to eligible endpoints',
  params: IdParams,
  body: MeetingBody,
  responses: {
    202: { description: 'Accepted; updates queued (possibly none)', schema: LeadAccepted },
    ...errorResponses(400, 401, 403, 404),
  },
  async handler({ params, body, deps, res }) {
    const result = await changeMeeting(deps, params.id, body.requestedMeetingTime);
    res.status(202).json(result);
  },
});
