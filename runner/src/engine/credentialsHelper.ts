import { ICredentialsHelper } from 'n8n-workflow';
import type {
  ICredentialDataDecryptedObject,
  ICredentials,
  IHttpRequestOptions,
  INodeCredentialsDetails,
  INodeProperties,
} from 'n8n-workflow';

/**
 * Serves credentials from memory, keyed by credential id. The runner puts an endpoint's
 * decrypted signing secrets here for the length of one execution; nothing is persisted by n8n.
 */
export class InMemoryCredentialsHelper extends ICredentialsHelper {
  constructor(private readonly byId: Map<string, ICredentialDataDecryptedObject> = new Map()) {
    super();
  }

  set(id: string, data: ICredentialDataDecryptedObject): void {
    this.byId.set(id, data);
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  getParentTypes(): string[] {
    return [];
  }

  isCredentialUsableByNode(): boolean {
    return true;
  }

  async authenticate(
    _credentials: ICredentialDataDecryptedObject,
    _typeName: string,
    requestOptions: IHttpRequestOptions,
  ): Promise<IHttpRequestOptions> {
    return requestOptions;
  }

  async preAuthentication(): Promise<undefined> {
    return undefined;
  }

  async runPreAuthentication(): Promise<undefined> {
    return undefined;
  }

  async getCredentials(): Promise<ICredentials> {
    throw new Error('The runner does not store n8n credential entities');
  }

  async getDecrypted(
    _additionalData: unknown,
    nodeCredentials: INodeCredentialsDetails,
    type: string,
  ): Promise<ICredentialDataDecryptedObject> {
    const data = nodeCredentials.id ? this.byId.get(nodeCredentials.id) : undefined;
    if (!data)
      throw new Error(
        `No ${type} credential "${nodeCredentials.name}" is available to this execution`,
      );
    return data;
  }

  async updateCredentials(): Promise<void> {}

  async updateCredentialsOauthTokenData(): Promise<void> {}

  getCredentialsProperties(): INodeProperties[] {
    return [];
  }
}
