-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "CredentialKind" AS ENUM ('OFFICIAL_TOKEN', 'PORTAL_SESSION');

-- CreateEnum
CREATE TYPE "TaskStatus" AS ENUM ('ACTIVE', 'PAUSED', 'BOOKED', 'NEEDS_ACTION', 'EXPIRED', 'FAILED');

-- CreateEnum
CREATE TYPE "BookingStatus" AS ENUM ('PENDING', 'CONFIRMED', 'CANCELLED', 'FAILED');

-- CreateEnum
CREATE TYPE "BookingStep" AS ENUM ('RESERVED', 'DRAFT_CREATED', 'PREORDER_CREATED', 'PLANNED');

-- CreateEnum
CREATE TYPE "ChargeSource" AS ENUM ('TRIAL', 'PAID');

-- CreateEnum
CREATE TYPE "RedistributionStatus" AS ENUM ('WAITING', 'SUBMITTED', 'DONE', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "users" (
    "id" BIGINT NOT NULL,
    "username" TEXT,
    "first_name" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "trial_bookings" INTEGER NOT NULL DEFAULT 2,
    "paid_bookings" INTEGER NOT NULL DEFAULT 0,
    "portal_opt_in" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "user_id" BIGINT NOT NULL,
    "kind" "CredentialKind" NOT NULL DEFAULT 'OFFICIAL_TOKEN',
    "name" TEXT NOT NULL,
    "encrypted_key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "is_valid" BOOLEAN NOT NULL DEFAULT true,
    "last_used" TIMESTAMP(3),
    "last_error" TEXT,
    "token_type" TEXT,
    "seller_id" TEXT,
    "supplier_id" TEXT,
    "categories" INTEGER,
    "expires_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "monitoring_tasks" (
    "id" SERIAL NOT NULL,
    "user_id" BIGINT NOT NULL,
    "credential_id" UUID,
    "warehouse_id" INTEGER NOT NULL,
    "warehouse_name" TEXT NOT NULL,
    "date_from" DATE NOT NULL,
    "date_to" DATE NOT NULL,
    "box_type_id" INTEGER NOT NULL DEFAULT 2,
    "max_coefficient" INTEGER NOT NULL DEFAULT 0,
    "status" "TaskStatus" NOT NULL DEFAULT 'ACTIVE',
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "goods" JSONB,
    "status_reason" TEXT,
    "last_checked_at" TIMESTAMP(3),
    "last_snapshot_age_ms" INTEGER,
    "refresh_interval_ms" INTEGER,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "monitoring_tasks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "booking_results" (
    "id" UUID NOT NULL,
    "task_id" INTEGER NOT NULL,
    "booking_date" DATE NOT NULL,
    "slot_time" TEXT,
    "warehouse_id" INTEGER NOT NULL,
    "coefficient" INTEGER NOT NULL,
    "wb_booking_id" TEXT,
    "draft_id" TEXT,
    "preorder_id" TEXT,
    "status" "BookingStatus" NOT NULL DEFAULT 'PENDING',
    "step" "BookingStep" NOT NULL DEFAULT 'RESERVED',
    "charged_from" "ChargeSource",
    "refunded_at" TIMESTAMP(3),
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "booking_results_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "redistribution_requests" (
    "id" SERIAL NOT NULL,
    "user_id" BIGINT NOT NULL,
    "credential_id" UUID,
    "nm_id" BIGINT NOT NULL,
    "chrt_id" BIGINT,
    "src_office_id" INTEGER NOT NULL,
    "src_office_name" TEXT,
    "dst_office_id" INTEGER NOT NULL,
    "dst_office_name" TEXT,
    "quantity" INTEGER NOT NULL,
    "status" "RedistributionStatus" NOT NULL DEFAULT 'WAITING',
    "last_checked_at" TIMESTAMP(3),
    "error" TEXT,
    "submitted_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "redistribution_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payments" (
    "id" SERIAL NOT NULL,
    "user_id" BIGINT NOT NULL,
    "telegram_charge_id" TEXT NOT NULL,
    "provider_charge_id" TEXT,
    "currency" TEXT NOT NULL,
    "amount" INTEGER NOT NULL,
    "bookings_granted" INTEGER NOT NULL,
    "payload" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "operations" (
    "id" BIGSERIAL NOT NULL,
    "user_id" BIGINT,
    "type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "operations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "conversation_states" (
    "user_id" BIGINT NOT NULL,
    "scene" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "conversation_states_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "api_keys_user_id_idx" ON "api_keys"("user_id");

-- CreateIndex
CREATE INDEX "api_keys_seller_id_idx" ON "api_keys"("seller_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_user_id_fingerprint_key" ON "api_keys"("user_id", "fingerprint");

-- CreateIndex
CREATE INDEX "monitoring_tasks_status_idx" ON "monitoring_tasks"("status");

-- CreateIndex
CREATE INDEX "monitoring_tasks_user_id_created_at_idx" ON "monitoring_tasks"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "monitoring_tasks_credential_id_idx" ON "monitoring_tasks"("credential_id");

-- CreateIndex
CREATE UNIQUE INDEX "booking_results_task_id_key" ON "booking_results"("task_id");

-- CreateIndex
CREATE INDEX "booking_results_status_idx" ON "booking_results"("status");

-- CreateIndex
CREATE INDEX "redistribution_requests_status_idx" ON "redistribution_requests"("status");

-- CreateIndex
CREATE INDEX "redistribution_requests_user_id_created_at_idx" ON "redistribution_requests"("user_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "payments_telegram_charge_id_key" ON "payments"("telegram_charge_id");

-- CreateIndex
CREATE INDEX "payments_user_id_created_at_idx" ON "payments"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "operations_user_id_created_at_idx" ON "operations"("user_id", "created_at");

-- CreateIndex
CREATE INDEX "operations_type_created_at_idx" ON "operations"("type", "created_at");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "monitoring_tasks" ADD CONSTRAINT "monitoring_tasks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "monitoring_tasks" ADD CONSTRAINT "monitoring_tasks_credential_id_fkey" FOREIGN KEY ("credential_id") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "booking_results" ADD CONSTRAINT "booking_results_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "monitoring_tasks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "redistribution_requests" ADD CONSTRAINT "redistribution_requests_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "redistribution_requests" ADD CONSTRAINT "redistribution_requests_credential_id_fkey" FOREIGN KEY ("credential_id") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payments" ADD CONSTRAINT "payments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operations" ADD CONSTRAINT "operations_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversation_states" ADD CONSTRAINT "conversation_states_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

