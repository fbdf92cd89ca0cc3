/**
 * Every GraphQL document the W&B client sends. Each selects only the fields we use and validates
 * against the reconstructed schema (test/managers/wandb/queries.test.ts). Names follow the SDK's
 * operations (PROTOCOL.md sections 1, 2.4 and 4).
 */

/** The viewer's default entity; `viewer: null` means the key is not accepted (section 1). */
export const VIEWER = `query Viewer { viewer { id entity username } }`;

/** Creates (or reuses) the run that owns the versions we log (section 2.2). */
export const UPSERT_BUCKET = `mutation UpsertBucket($name: String, $project: String, $entity: String, $jobType: String) {
  upsertBucket(input: { name: $name, modelName: $project, entityName: $entity, jobType: $jobType }) {
    bucket { id name }
    inserted
  }
}`;

/** The type of an existing collection (sequence), to refuse logging a name under a second type. */
export const COLLECTION_TYPE = `query CollectionType($entity: String!, $project: String!, $name: String!) {
  project(name: $project, entityName: $entity) {
    artifactCollection(name: $name) { name defaultArtifactType { name } }
  }
}`;

/** The server's optional features (`ARTIFACT_DIGEST_ALGORITHM` gates XXH128 and the fields below). */
export const SERVER_FEATURES = `query ServerFeatures { serverInfo { features { name isEnabled } } }`;

/**
 * With ARTIFACT_DIGEST_ALGORITHM: the digest algorithm of an existing sequence (wandb-core's
 * `FetchArtifactDigestAlgorithm`) and whether the entity may use XXH128 (its `XXHashDigestsEnabled`).
 */
export const DIGEST_ALGORITHM = `query DigestAlgorithm($entity: String!, $project: String!, $type: String!,
    $name: String!) {
  project(name: $project, entityName: $entity) {
    artifactType(name: $type) {
      artifactCollection(name: $name) { __typename ... on ArtifactSequence { digestAlgorithm } }
    }
  }
  entity(name: $entity) { xxhashDigestsEnabled }
}`;

/** Step A: a pending artifact, or the latest one when its digest is the same (section 2.4, 2.6). */
export const CREATE_ARTIFACT = `mutation CreateArtifact($entityName: String!, $projectName: String!, $runName: String,
    $artifactTypeName: String!, $artifactCollectionName: String!, $digest: String!,
    $digestAlgorithm: ArtifactDigestAlgorithm!, $description: String,
    $metadata: JSONString, $aliases: [ArtifactAliasInput!], $clientID: ID!, $sequenceClientID: ID!,
    $enableDigestDeduplication: Boolean) {
  createArtifact(input: { entityName: $entityName, projectName: $projectName, runName: $runName,
      artifactTypeName: $artifactTypeName, artifactCollectionName: $artifactCollectionName, digest: $digest,
      digestAlgorithm: $digestAlgorithm, description: $description, metadata: $metadata, aliases: $aliases,
      clientID: $clientID, sequenceClientID: $sequenceClientID,
      enableDigestDeduplication: $enableDigestDeduplication }) {
    artifact { id state digest versionIndex artifactSequence { id latestArtifact { id } } }
  }
}`;

/** Steps B and F: reserve the manifest, then get its upload URL once its digest is known. */
export const CREATE_ARTIFACT_MANIFEST = `mutation CreateArtifactManifest($artifactID: ID!, $baseArtifactID: ID,
    $name: String!, $digest: String!, $entityName: String!, $projectName: String!, $runName: String!,
    $manifestType: ArtifactManifestType!, $includeUpload: Boolean!) {
  createArtifactManifest(input: { artifactID: $artifactID, baseArtifactID: $baseArtifactID, name: $name,
      digest: $digest, entityName: $entityName, projectName: $projectName, runName: $runName,
      type: $manifestType }) {
    artifactManifest {
      id
      file { id uploadUrl @include(if: $includeUpload) uploadHeaders @include(if: $includeUpload) }
    }
  }
}`;

/** Step C: upload URLs for the files the server does not hold yet (`uploadUrl: null` = dedup). */
export const CREATE_ARTIFACT_FILES = `mutation CreateArtifactFiles($artifactFiles: [CreateArtifactFileSpecInput!]!,
    $storageLayout: ArtifactStorageLayout!) {
  createArtifactFiles(input: { artifactFiles: $artifactFiles, storageLayout: $storageLayout }) {
    files { edges { node {
      name storagePath uploadUrl uploadHeaders
      uploadMultipartUrls { uploadID uploadUrlParts { partNumber uploadUrl } }
      artifact { id }
    } } }
  }
}`;

/** Step D (multipart): assembles the uploaded parts. */
export const COMPLETE_MULTIPART_UPLOAD = `mutation CompleteMultipartUploadArtifact(
    $completeMultipartAction: CompleteMultipartAction!, $completedParts: [UploadPartsInput!]!,
    $artifactID: ID!, $storagePath: String!, $uploadID: String!) {
  completeMultipartUploadArtifact(input: { completeMultipartAction: $completeMultipartAction,
      completedParts: $completedParts, artifactID: $artifactID, storagePath: $storagePath,
      uploadID: $uploadID }) { digest }
}`;

/** Step H: the server checks the manifest, assigns the version and moves the aliases. */
export const COMMIT_ARTIFACT = `mutation CommitArtifact($artifactID: ID!) {
  commitArtifact(input: { artifactID: $artifactID }) { artifact { id digest } }
}`;

/** Step J: read back the version index the server assigned. */
export const ARTIFACT_BY_ID = `query ArtifactByID($id: ID!) {
  artifact(id: $id) { id state versionIndex digest }
}`;

/** A committed artifact by ID with its manifest URL: the target of a `wandb-artifact://` reference. */
export const ARTIFACT_MANIFEST_BY_ID = `query ArtifactManifestByID($id: ID!) {
  artifact(id: $id) { id state versionIndex currentManifest { file { directUrl } } }
}`;

/** Artifact types of a project (our collections), paged (section 4.4). */
export const PROJECT_ARTIFACT_TYPES = `query ProjectArtifactTypes($entity: String!, $project: String!,
    $cursor: String, $perPage: Int) {
  project(name: $project, entityName: $entity) {
    artifactTypes(after: $cursor, first: $perPage) {
      edges { node { name } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** Collections of a type (our artifact names), with their count of committed versions. */
export const TYPE_COLLECTIONS = `query ArtifactTypeArtifactCollections($entity: String!, $project: String!,
    $type: String!, $cursor: String, $perPage: Int, $committed: JSONString) {
  project(name: $project, entityName: $entity) {
    artifactType(name: $type) {
      artifactCollections(after: $cursor, first: $perPage) {
        edges { node { __typename name artifacts(first: 1, filters: $committed) { totalCount } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}`;

/** Committed versions of a collection with their aliases, paged (`edges.version` is `"vN"`). */
export const COLLECTION_VERSIONS = `query ProjectArtifacts($entity: String!, $project: String!, $type: String!,
    $collection: String!, $cursor: String, $perPage: Int, $filters: JSONString) {
  project(name: $project, entityName: $entity) {
    artifactType(name: $type) {
      artifactCollection(name: $collection) {
        artifacts(after: $cursor, first: $perPage, filters: $filters) {
          edges { version node { id aliases { alias artifactCollection { name } } } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
}`;

/** Resolves `vN`, `latest` or an alias to one version with its manifest URL (section 4.1, 4.2). */
export const ARTIFACT_MEMBERSHIP = `query ArtifactMembership($entity: String!, $project: String!, $type: String!,
    $collection: String!, $alias: String!) {
  project(name: $project, entityName: $entity) {
    artifactType(name: $type) {
      artifactCollection(name: $collection) {
        id
        artifactMembership(aliasName: $alias) {
          versionIndex
          artifact {
            id state digest versionIndex description metadata createdAt size fileCount
            aliases { alias artifactCollection { name } }
            currentManifest { file { directUrl } }
          }
        }
      }
    }
  }
}`;

/**
 * Download URLs of a version's stored files through its membership in its collection, paged: the
 * SDK 0.30's `GetArtifactMembershipFileUrls` (`artifact(id).files` is legacy there).
 */
export const MEMBERSHIP_FILE_URLS = `query ArtifactMembershipFileURLs($entity: String!, $project: String!,
    $collection: String!, $alias: String!, $cursor: String, $perPage: Int) {
  project(name: $project, entityName: $entity) {
    artifactCollection(name: $collection) {
      __typename
      artifactMembership(aliasName: $alias) {
        files(after: $cursor, first: $perPage) {
          edges { node { name directUrl } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
}`;

/**
 * Download URLs of an artifact's stored files by its ID (section 4.3, `ArtifactFileURLs`): only for a
 * `wandb-artifact://` reference, which names an artifact by ID alone.
 */
export const ARTIFACT_FILE_URLS = `query ArtifactFileURLs($id: ID!, $cursor: String, $perPage: Int) {
  artifact(id: $id) {
    files(after: $cursor, first: $perPage) {
      edges { node { name directUrl sizeBytes md5 } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/**
 * Gives a version aliases in a collection, as the SDK's `Artifact.save()` does (PROTOCOL.md 8): an alias
 * is unique in its collection, so it moves off the version that held it.
 */
export const ADD_ALIASES = `mutation AddAliases($artifactID: ID!, $aliases: [ArtifactCollectionAliasInput!]!) {
  addAliases(input: { artifactID: $artifactID, aliases: $aliases }) { success }
}`;

/** Takes aliases in a collection off a version (the SDK's `Artifact.save()` for removed aliases). */
export const DELETE_ALIASES = `mutation DeleteAliases($artifactID: ID!, $aliases: [ArtifactCollectionAliasInput!]!) {
  deleteAliases(input: { artifactID: $artifactID, aliases: $aliases }) { success }
}`;

/**
 * Deletes a version, as the SDK 0.30's `Artifact.delete(delete_aliases)` (`DeleteArtifact`): with
 * `deleteAliases: false` the server refuses a version that holds aliases (`latest` included).
 */
export const DELETE_ARTIFACT = `mutation DeleteArtifact($input: DeleteArtifactInput!) {
  result: deleteArtifact(input: $input) { artifact { id } }
}`;

/** Every document above, by name (validated in a test). */
export const WANDB_DOCUMENTS: Readonly<Record<string, string>> = {
  VIEWER,
  SERVER_FEATURES,
  DIGEST_ALGORITHM,
  UPSERT_BUCKET,
  COLLECTION_TYPE,
  CREATE_ARTIFACT,
  CREATE_ARTIFACT_MANIFEST,
  CREATE_ARTIFACT_FILES,
  COMPLETE_MULTIPART_UPLOAD,
  COMMIT_ARTIFACT,
  ARTIFACT_BY_ID,
  ARTIFACT_MANIFEST_BY_ID,
  PROJECT_ARTIFACT_TYPES,
  TYPE_COLLECTIONS,
  COLLECTION_VERSIONS,
  ARTIFACT_MEMBERSHIP,
  ARTIFACT_FILE_URLS,
  MEMBERSHIP_FILE_URLS,
  ADD_ALIASES,
  DELETE_ALIASES,
  DELETE_ARTIFACT,
};
